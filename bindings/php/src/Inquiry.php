<?php

declare(strict_types=1);

namespace Doku\Direct;

use Doku\Direct\Exception\DokuException;
use Doku\Direct\Exception\SignatureException;
use Doku\Direct\Internal\Json;
use Doku\Direct\Internal\Native;

/**
 * Direct Inquiry (DIPC): DOKU asks your Inquiry URL about a payment code; you verify the
 * request, look the code up, and answer with a signed reply.
 *
 * ```php
 * $inquiry = Inquiry::verify(Notification::requestHeaders(), file_get_contents('php://input'),
 *                            '/payments/inquiry', $clientId, $secretKey);
 * $reply = Inquiry::reply($inquiry, ['invoice_number' => 'INV-1', 'amount' => 150000,
 *                                    'status' => 'success'], '/payments/inquiry', $secretKey);
 * Inquiry::send($reply);
 * ```
 */
final class Inquiry
{
    /**
     * Verifies an inquiry (signed like a notification, with your Inquiry URL's path).
     *
     * @param array<mixed> $headers as for Notification::verify
     * @param array{tolerance_secs?: int} $options
     * @return array<string, mixed> `request_id`, `client_id`, `request_timestamp`,
     *   `payment_code`, `body`
     * @throws SignatureException do not answer it; respond 401
     * @throws DokuException
     */
    public static function verify(
        #[\SensitiveParameter] array $headers,
        string $rawBody,
        string $path,
        string $clientId,
        #[\SensitiveParameter] string $secretKey,
        array $options = [],
    ): array {
        $ffi = Native::$ffi ?? Native::ffi();
        Notification::text($path, $clientId, $secretKey);
        return Json::decode(Native::callString($ffi->doku_inquiry_verify(
            Notification::headersJson($headers),
            $rawBody,
            strlen($rawBody),
            $path,
            $clientId,
            $secretKey,
            Json::options($options),
            Native::$outAddr,
        )));
    }

    /**
     * The signed reply to a verified inquiry.
     *
     * @param array<string, mixed>|string $inquiry what verify() returned
     * @param array{invoice_number: string, amount: int, status: string} $answer
     * @return array{headers: array<string, string>, body: string} send exactly these headers
     *   and this body string (see send())
     * @throws DokuException
     */
    public static function reply(array|string $inquiry, array $answer, string $path, #[\SensitiveParameter] string $secretKey): array
    {
        $ffi = Native::$ffi ?? Native::ffi();
        Json::text($path, 'path');
        Json::text($secretKey, 'secret_key');
        return Json::decode(Native::callString($ffi->doku_inquiry_reply(
            Json::encode($inquiry, 'inquiry'),
            Json::encode($answer, 'answer'),
            $path,
            $secretKey,
            Native::$outAddr,
        )));
    }

    /**
     * Sends a reply from reply() as the HTTP response: its headers, then its body as is.
     *
     * @param array{headers: array<string, string>, body: string} $reply
     */
    public static function send(array $reply): void
    {
        foreach ($reply['headers'] as $name => $value) {
            header($name . ': ' . $value);
        }
        echo $reply['body'];
    }

    private function __construct()
    {
    }
}
