<?php

declare(strict_types=1);

namespace Doku\Direct;

use Doku\Direct\Exception\InvalidInputException;
use Doku\Direct\Internal\Json;
use Doku\Direct\Internal\Native;

/**
 * DOKU Non-SNAP signatures (`Signature: HMACSHA256=<base64>`), computed by libdoku.
 *
 * `$body` is the exact bytes sent or received (a string), or null for a GET request (no
 * Digest line); `''` is an empty POST body. Sign the bytes you send and verify the bytes
 * you received: a re-encoded array has other bytes, so another Digest.
 *
 * `$secretKey` and `$signature` are `#[\SensitiveParameter]`: with
 * `zend.exception_ignore_args=0` a stack trace shows them as `SensitiveParameterValue`
 * (PHP 8.2+). The timestamp must be DOKU's, `2020-08-11T08:45:42Z`, as the client requires
 * (libdoku's rule); verification judges any timestamp by the signature alone.
 */
final class Signature
{
    /**
     * The `Signature` header value for a request.
     *
     * @throws InvalidInputException an empty or unusable argument (`field` names it)
     */
    public static function sign(
        string $clientId,
        string $requestId,
        string $timestamp,
        string $requestTarget,
        ?string $body,
        #[\SensitiveParameter] string $secretKey,
    ): string {
        $ffi = Native::$ffi ?? Native::ffi();
        if (str_contains($clientId . $requestId . $timestamp . $requestTarget . $secretKey, "\0")) {
            self::nul($clientId, $requestId, $timestamp, $requestTarget, $secretKey, '', 'timestamp');
        }
        return Native::callString($ffi->doku_sign(
            $clientId,
            $requestId,
            $timestamp,
            $requestTarget,
            $body,
            $body === null ? 0 : strlen($body),
            $secretKey,
            Native::$outAddr,
        ));
    }

    /**
     * True when `$signature` is this request's signature (compared in constant time),
     * false when it is not (wrong secret, component, body bytes or prefix).
     *
     * @throws InvalidInputException an unusable argument
     */
    public static function verify(
        string $clientId,
        string $requestId,
        string $timestamp,
        string $requestTarget,
        ?string $body,
        #[\SensitiveParameter] string $secretKey,
        #[\SensitiveParameter] string $signature,
    ): bool {
        $ffi = Native::$ffi ?? Native::ffi();
        if (str_contains($clientId . $requestId . $timestamp . $requestTarget . $secretKey . $signature, "\0")) {
            self::nul($clientId, $requestId, $timestamp, $requestTarget, $secretKey, $signature, 'timestamp');
        }
        $status = $ffi->doku_verify(
            $clientId,
            $requestId,
            $timestamp,
            $requestTarget,
            $body,
            $body === null ? 0 : strlen($body),
            $secretKey,
            $signature,
        );
        if ($status === Status::ERR_SIGNATURE_MISMATCH) {
            return false;
        }
        Native::call($status);
        return true;
    }

    /**
     * The signature of a response (third line `Response-Timestamp:`): what DOKU sends, and
     * what a merchant sends back to a DOKU inquiry. `$clientId`/`$requestId` are the
     * request's, `$requestTarget` the path that was called.
     *
     * @throws InvalidInputException
     */
    public static function signResponse(
        string $clientId,
        string $requestId,
        string $responseTimestamp,
        string $requestTarget,
        ?string $body,
        #[\SensitiveParameter] string $secretKey,
    ): string {
        $ffi = Native::$ffi ?? Native::ffi();
        if (str_contains($clientId . $requestId . $responseTimestamp . $requestTarget . $secretKey, "\0")) {
            self::nul($clientId, $requestId, $responseTimestamp, $requestTarget, $secretKey, '', 'response_timestamp');
        }
        return Native::callString($ffi->doku_sign_response(
            $clientId,
            $requestId,
            $responseTimestamp,
            $requestTarget,
            $body,
            $body === null ? 0 : strlen($body),
            $secretKey,
            Native::$outAddr,
        ));
    }

    /**
     * {@see verify()} for a response signature (DOKU's answers).
     *
     * @throws InvalidInputException
     */
    public static function verifyResponse(
        string $clientId,
        string $requestId,
        string $responseTimestamp,
        string $requestTarget,
        ?string $body,
        #[\SensitiveParameter] string $secretKey,
        #[\SensitiveParameter] string $signature,
    ): bool {
        $ffi = Native::$ffi ?? Native::ffi();
        if (str_contains($clientId . $requestId . $responseTimestamp . $requestTarget . $secretKey . $signature, "\0")) {
            self::nul($clientId, $requestId, $responseTimestamp, $requestTarget, $secretKey, $signature, 'response_timestamp');
        }
        $status = $ffi->doku_verify_response(
            $clientId,
            $requestId,
            $responseTimestamp,
            $requestTarget,
            $body,
            $body === null ? 0 : strlen($body),
            $secretKey,
            $signature,
        );
        if ($status === Status::ERR_SIGNATURE_MISMATCH) {
            return false;
        }
        Native::call($status);
        return true;
    }

    /**
     * Names the text argument holding a NUL byte (C would see it truncated). The callers
     * check the joined text first, so the fast path is one scan and no call.
     */
    private static function nul(
        string $clientId,
        string $requestId,
        string $timestamp,
        string $requestTarget,
        #[\SensitiveParameter] string $secretKey,
        #[\SensitiveParameter] string $signature,
        string $timestampName,
    ): void {
        Json::text($clientId, 'client_id');
        Json::text($requestId, 'request_id');
        Json::text($timestamp, $timestampName);
        Json::text($requestTarget, 'request_target');
        Json::text($secretKey, 'secret_key');
        Json::text($signature, 'signature');
    }

    private function __construct()
    {
    }
}
