<?php

declare(strict_types=1);

namespace Doku\Direct;

use Doku\Direct\Exception\DokuException;
use Doku\Direct\Exception\InvalidInputException;
use Doku\Direct\Exception\SignatureException;
use Doku\Direct\Internal\Json;
use Doku\Direct\Internal\Native;

/**
 * DOKU payment notifications: verify the signature over the raw body, then parse.
 *
 * ```php
 * $n = Notification::verify(Notification::requestHeaders(), file_get_contents('php://input'),
 *                           '/payments/notifications', $clientId, $secretKey);
 * ```
 * The body must be the raw bytes from `php://input`, never a re-encoded `$_POST` or array.
 */
final class Notification
{
    /**
     * Verifies and parses a notification.
     *
     * @param array<string, string|list<string>>|list<array{0: string, 1: string}> $headers
     *   the request headers (names are matched case-insensitively), e.g. requestHeaders()
     * @param string $rawBody the body exactly as received (`file_get_contents('php://input')`)
     * @param string $path the path of your Notification URL (`/payments/notifications`)
     * @param array{tolerance_secs?: int} $options reject timestamps older than this (off by default)
     * @return array<string, mixed> `request_id` (de-duplicate on it), `client_id`,
     *   `request_timestamp`, `service_id`, `acquirer_id`, `channel_id`, `status`,
     *   `transaction_date`, `original_request_id`, `invoice_number`, `amount`,
     *   `payment_code`, and `body` with every field DOKU sent
     * @throws SignatureException do not trust the body; answer 401
     * @throws InvalidInputException a required header is missing, the body is not a notification
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
        self::text($path, $clientId, $secretKey);
        return Json::decode(Native::callString($ffi->doku_notification_verify(
            self::headersJson($headers),
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
     * Verifies the current request (for a notification endpoint under php-fpm, Apache or
     * the built-in server): {@see requestHeaders()} and the raw body from `php://input`.
     *
     * @param array{tolerance_secs?: int} $options
     * @return array<string, mixed>
     * @throws DokuException
     */
    public static function fromGlobals(string $path, string $clientId, #[\SensitiveParameter] string $secretKey, array $options = []): array
    {
        return self::verify(self::requestHeaders(), (string) file_get_contents('php://input'), $path, $clientId, $secretKey, $options);
    }

    /**
     * The current request's headers: getallheaders() where the SAPI has it, else rebuilt
     * from the `HTTP_*` entries of `$server` (default `$_SERVER`).
     *
     * @param array<string, mixed>|null $server
     * @return array<string, string>
     */
    public static function requestHeaders(?array $server = null): array
    {
        if ($server === null && function_exists('getallheaders')) {
            $headers = getallheaders();
            if (is_array($headers) && $headers !== []) {
                return $headers;
            }
        }
        $headers = [];
        foreach ($server ?? $_SERVER as $key => $value) {
            if (!is_string($key) || !is_scalar($value)) {
                continue;
            }
            if (str_starts_with($key, 'HTTP_')) {
                $key = substr($key, 5);
            } elseif ($key !== 'CONTENT_TYPE' && $key !== 'CONTENT_LENGTH') {
                continue;
            }
            $name = str_replace(' ', '-', ucwords(strtolower(str_replace('_', ' ', $key))));
            $headers[$name] = (string) $value;
        }
        return $headers;
    }

    /**
     * Headers as libdoku's JSON array of `[name, value]` pairs, so repeated headers survive
     * (libdoku refuses a duplicated signed header). Three shapes are read: `['Name' =>
     * 'value']`, `['Name' => ['value', ...]]` (a repeated header) and a list of `[name,
     * value]` pairs. Names and values must be strings: an int, array, object, resource,
     * bool or null value is refused with an InvalidInputException naming the header
     * (`headers.Signature`), never turned into "Array" or "Resource id #5".
     *
     * @param array<mixed> $headers
     * @internal
     */
    public static function headersJson(#[\SensitiveParameter] array $headers): string
    {
        $pairs = [];
        foreach ($headers as $name => $value) {
            if (is_int($name)) {
                if (!is_array($value) || count($value) !== 2 || !array_is_list($value) || !is_string($value[0])) {
                    throw new InvalidInputException(
                        "headers[{$name}] must be a [name, value] pair of strings (or use the header name as the key)",
                        field: 'headers',
                    );
                }
                [$name, $value] = $value;
                $values = [$value]; // a pair holds one value
            } else {
                $values = is_array($value) ? $value : [$value];
            }
            foreach ($values as $v) {
                if (!is_string($v)) {
                    throw new InvalidInputException(
                        "headers.{$name} must be a string (got " . get_debug_type($v) . ')',
                        field: "headers.{$name}",
                    );
                }
                $pairs[] = [$name, $v];
            }
        }
        // Headers are bytes as received, and any header may come (a proxy's, a client's):
        // bytes that are not UTF-8 become U+FFFD instead of refusing the notification. A
        // signed header altered so can only fail its signature check.
        return $pairs === [] ? '{}' : Json::encodeData($pairs, 'headers', JSON_INVALID_UTF8_SUBSTITUTE);
    }

    /** @internal */
    public static function text(string $path, string $clientId, #[\SensitiveParameter] string $secretKey): void
    {
        Json::text($path, 'path');
        Json::text($clientId, 'client_id');
        Json::text($secretKey, 'secret_key');
    }

    private function __construct()
    {
    }
}
