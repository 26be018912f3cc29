<?php

declare(strict_types=1);

namespace Doku\Direct;

use Doku\Direct\Exception\DokuException;
use Doku\Direct\Exception\SignatureException;
use Doku\Direct\Internal\Json;
use Doku\Direct\Internal\Native;
use Psr\Http\Message\ServerRequestInterface;

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
     * @param array{tolerance_secs?: int, previous_secret_keys?: list<string>} $options as for
     *   Notification::verify: `previous_secret_keys` are the keys of a rotation in progress,
     *   newest first
     * @return array{request_id: string, client_id: string, request_timestamp: string,
     *   payment_code: string, body: array<string, mixed>, key_index: int}
     *   pass it to reply(); `key_index` is the key that verified it (0: `$secretKey`, 1:
     *   `previous_secret_keys[0]`, ...)
     * @throws SignatureException do not answer it; respond 401
     * @throws DokuException
     */
    public static function verify(
        #[\SensitiveParameter] array $headers,
        string $rawBody,
        string $path,
        string $clientId,
        #[\SensitiveParameter] string $secretKey,
        #[\SensitiveParameter] array $options = [],
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
     * {@see verify()} for a PSR-7 request: its headers and its raw body, read as
     * Notification::fromRequest() reads it (rewound, whole, at most 1 MiB). `$path` is your
     * Inquiry URL's configured path, never taken from the request.
     *
     * @param array{tolerance_secs?: int, previous_secret_keys?: list<string>} $options
     * @return array{request_id: string, client_id: string, request_timestamp: string,
     *   payment_code: string, body: array<string, mixed>, key_index: int}
     * @throws SignatureException do not answer it; respond 401
     * @throws DokuException
     */
    public static function fromRequest(
        #[\SensitiveParameter] ServerRequestInterface $request,
        string $path,
        string $clientId,
        #[\SensitiveParameter] string $secretKey,
        #[\SensitiveParameter] array $options = [],
    ): array {
        return self::verify($request->getHeaders(), Notification::streamBody($request), $path, $clientId, $secretKey, $options);
    }

    /**
     * The signed reply to a verified inquiry.
     *
     * @param array{request_id: string, client_id: string, request_timestamp: string,
     *   payment_code: string, body: array<string, mixed>, key_index?: int}|string $inquiry
     *   what verify() returned (or it as JSON)
     * @param array{invoice_number: string, amount: int, status: string} $answer
     * @return array{headers: array{Client-Id: string, Request-Id: string,
     *   Response-Timestamp: string, Signature: string, Content-Type: string}, body: string}
     *   send exactly these headers and this body string (see send())
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
