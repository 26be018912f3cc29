<?php

declare(strict_types=1);

namespace Doku\Direct;

use Doku\Direct\Exception\DokuException;
use Doku\Direct\Exception\InvalidInputException;
use Doku\Direct\Exception\SignatureException;
use Doku\Direct\Internal\Json;
use Doku\Direct\Internal\Native;
use Psr\Http\Message\ServerRequestInterface;

/**
 * DOKU payment notifications: verify the signature over the raw body, then parse.
 *
 * ```php
 * $n = Notification::verify(Notification::requestHeaders(), file_get_contents('php://input'),
 *                           '/payments/notifications', $clientId, $secretKey);
 * ```
 * The body must be the raw bytes from `php://input`, never a re-encoded `$_POST` or array.
 * A PSR-7 application passes its request to {@see fromRequest()} instead.
 *
 * During a secret-key rotation, pass the keys DOKU may still sign with as
 * `['previous_secret_keys' => [...]]` (newest first); `key_index` in the result says which
 * key verified (0: `$secretKey`, 1: the first previous key, ...), never the key itself.
 */
final class Notification
{
    /**
     * The most body bytes fromRequest() reads from a PSR-7 stream: libdoku's limit (1 MiB,
     * `MAX_BODY_BYTES`) plus one byte, so that a larger body reaches libdoku, which refuses
     * it with its own error, without PHP reading an unbounded stream into memory.
     */
    public const MAX_BODY_READ = 1024 * 1024 + 1;

    /**
     * Verifies and parses a notification.
     *
     * @param array<string, string|list<string>>|list<array{0: string, 1: string}> $headers
     *   the request headers (names are matched case-insensitively), e.g. requestHeaders()
     * @param string $rawBody the body exactly as received (`file_get_contents('php://input')`)
     * @param string $path the path of your Notification URL (`/payments/notifications`)
     * @param array{tolerance_secs?: int, previous_secret_keys?: list<string>} $options
     *   `tolerance_secs`: reject timestamps older than this (off by default: DOKU retries
     *   for 12 hours); `previous_secret_keys`: the keys of a rotation in progress, newest
     *   first (libdoku checks them; a bad one is named `options.previous_secret_keys[1]`)
     * @return array{request_id: string, client_id: string, request_timestamp: string,
     *   service_id: ?string, acquirer_id: ?string, channel_id: ?string, status: string,
     *   transaction_date: ?string, original_request_id: ?string, invoice_number: string,
     *   amount: int|float|string, payment_code: ?string, body: array<string, mixed>,
     *   key_index: int}
     *   de-duplicate on `request_id`; `body` holds every field DOKU sent; `key_index` is the
     *   key that verified it (0: `$secretKey`, 1: `previous_secret_keys[0]`, ...)
     * @throws SignatureException do not trust the body; answer 401 (no key of the ring
     *   matched: one error, naming no key)
     * @throws InvalidInputException a required header is missing, the body is not a
     *   notification, an option is unusable
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
     * @param array{tolerance_secs?: int, previous_secret_keys?: list<string>} $options as for verify()
     * @return array{request_id: string, client_id: string, request_timestamp: string,
     *   service_id: ?string, acquirer_id: ?string, channel_id: ?string, status: string,
     *   transaction_date: ?string, original_request_id: ?string, invoice_number: string,
     *   amount: int|float|string, payment_code: ?string, body: array<string, mixed>,
     *   key_index: int} as verify()
     * @throws DokuException
     */
    public static function fromGlobals(
        string $path,
        string $clientId,
        #[\SensitiveParameter] string $secretKey,
        #[\SensitiveParameter] array $options = [],
    ): array {
        return self::verify(self::requestHeaders(), (string) file_get_contents('php://input'), $path, $clientId, $secretKey, $options);
    }

    /**
     * Verifies a PSR-7 request (Slim, Laminas/Mezzio, Symfony's PSR-7 bridge, Nyholm,
     * Guzzle): its headers (`getHeaders()`, a repeated header kept as several values) and
     * its raw body, read whole from the start of the body stream (rewound when seekable,
     * so a middleware that already read it does not matter) and bounded by libdoku's 1 MiB
     * limit ({@see MAX_BODY_READ}). Never `getParsedBody()`: a re-encoded body has other
     * bytes.
     *
     * `$path` is the path of YOUR Notification URL as configured at DOKU: it is signed, and
     * it is never taken from the request (`getUri()`), which a proxy, a rewrite or a
     * mount point may have changed.
     *
     * @param array{tolerance_secs?: int, previous_secret_keys?: list<string>} $options as for verify()
     * @return array{request_id: string, client_id: string, request_timestamp: string,
     *   service_id: ?string, acquirer_id: ?string, channel_id: ?string, status: string,
     *   transaction_date: ?string, original_request_id: ?string, invoice_number: string,
     *   amount: int|float|string, payment_code: ?string, body: array<string, mixed>,
     *   key_index: int} as verify()
     * @throws SignatureException do not trust the body; answer 401
     * @throws InvalidInputException a header is missing or unusable, the body stream cannot
     *   be read (`field` `body`), the body is too large or not a notification
     */
    public static function fromRequest(
        #[\SensitiveParameter] ServerRequestInterface $request,
        string $path,
        string $clientId,
        #[\SensitiveParameter] string $secretKey,
        #[\SensitiveParameter] array $options = [],
    ): array {
        return self::verify($request->getHeaders(), self::streamBody($request), $path, $clientId, $secretKey, $options);
    }

    /**
     * The whole body of a PSR-7 message: from the start when the stream can seek, at most
     * {@see MAX_BODY_READ} bytes. A stream that cannot be read, or fails while reading,
     * is an InvalidInputException (`field` `body`), with the stream's error as previous.
     *
     * @internal
     */
    public static function streamBody(#[\SensitiveParameter] ServerRequestInterface $request): string
    {
        try {
            $stream = $request->getBody();
            if (!$stream->isReadable()) {
                throw new InvalidInputException('the request body stream is not readable', field: 'body');
            }
            if ($stream->isSeekable()) {
                $stream->rewind();
            }
            $body = '';
            while (!$stream->eof() && strlen($body) < self::MAX_BODY_READ) {
                $chunk = $stream->read(self::MAX_BODY_READ - strlen($body));
                if ($chunk === '') {
                    break; // a non-blocking or broken stream: no progress
                }
                $body .= $chunk;
            }
            return $body;
        } catch (InvalidInputException $e) {
            throw $e;
        } catch (\RuntimeException $e) {
            throw new InvalidInputException('the request body stream cannot be read: ' . $e->getMessage(), field: 'body', previous: $e);
        }
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
