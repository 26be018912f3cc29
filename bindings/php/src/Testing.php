<?php

declare(strict_types=1);

namespace Doku\Direct;

use Doku\Direct\Exception\InvalidInputException;
use Doku\Direct\Internal\Json;
use Doku\Direct\Internal\Native;

/**
 * Helpers for a merchant's own tests (PHPUnit, Pest, Codeception), offline.
 *
 * ```php
 * $n = Testing::signedNotification('alfa', 'MCH-TEST', 'SK-test-key', invoiceNumber: 'INV-1', amount: 150000);
 * $request = (new Psr17Factory())->createServerRequest('POST', '/payments/notifications')
 *     ->withBody(Stream::create($n['body']));
 * foreach ($n['headers'] as $name => $value) {
 *     $request = $request->withHeader($name, $value);
 * }
 * $response = $app->handle($request);   // your handler verifies it with Notification::fromRequest
 * ```
 */
final class Testing
{
    /**
     * A payment notification exactly as DOKU sends it (libdoku's `doku_test_notification`):
     * the channel's body shape, signed with `$secretKey` for `$path` and a fresh
     * Request-Id and the current time. Post it to your notification endpoint; it verifies
     * with {@see Notification::verify()} for the same path, client id and key.
     *
     * @param 'alfa'|'indomaret'|'indodana' $channel
     * @param 'SUCCESS'|'FAILED' $status
     * @param string|null $invoiceNumber null: a fresh `INV-TEST-...`
     * @param int|null $amount null: 10000
     * @return array{headers: array{Client-Id: string, Request-Id: string,
     *   Request-Timestamp: string, Signature: string, Content-Type: string}, body: string}
     *   send exactly these headers and this body string
     * @throws InvalidInputException an unknown channel or status, an empty client id or key
     *   (`field` names it)
     */
    public static function signedNotification(
        string $channel,
        string $clientId,
        #[\SensitiveParameter] string $secretKey,
        string $path = '/payments/notifications',
        string $status = 'SUCCESS',
        ?string $invoiceNumber = null,
        ?int $amount = null,
    ): array {
        $ffi = Native::$ffi ?? Native::ffi();
        Json::text($secretKey, 'secret_key');
        $request = ['channel' => $channel, 'client_id' => $clientId, 'path' => $path, 'status' => $status];
        if ($invoiceNumber !== null) {
            $request['invoice_number'] = $invoiceNumber;
        }
        if ($amount !== null) {
            $request['amount'] = $amount;
        }
        /** @var array{headers: array{Client-Id: string, Request-Id: string, Request-Timestamp: string, Signature: string, Content-Type: string}, body: string} */
        return Json::decode(Native::callString($ffi->doku_test_notification(
            Json::encodeData($request, 'request'),
            $secretKey,
            Native::$outAddr,
        )));
    }

    private function __construct()
    {
    }
}
