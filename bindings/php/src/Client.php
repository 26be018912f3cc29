<?php

declare(strict_types=1);

namespace Doku\Direct;

use Doku\Direct\Exception\ApiException;
use Doku\Direct\Exception\ConfigException;
use Doku\Direct\Exception\DokuException;
use Doku\Direct\Exception\InvalidInputException;
use Doku\Direct\Exception\TimeoutException;
use Doku\Direct\Exception\ValidationException;
use Doku\Direct\Internal\Json;
use Doku\Direct\Internal\Native;
use FFI;
use FFI\CData;

/**
 * A DOKU client over one libdoku `doku_client` handle (one connection pool). No network I/O
 * happens in the constructor. Create it once (per worker) and reuse it.
 *
 * Requests are arrays (encoded once, then validated, signed and sent as exactly those
 * bytes) or strings of raw JSON (sent byte for byte). Every call returns
 * `['status' => 201, 'request_id' => ..., 'response_timestamp' => ..., 'replay' => false,
 *   'signature_verified' => true, 'key_index' => 0, 'body' => [...]]`; a 409 from DOKU is
 * the original response replayed, returned with `'replay' => true`. `key_index` says which
 * key verified DOKU's response signature (0: `secret_key`, 1: the first of
 * `previous_secret_keys`, ...; null when the signature was not verified).
 *
 * `$options`: `['request_id' => ..., 'timestamp' => ...]` (both optional). Retries always
 * reuse the same Request-Id.
 *
 * Every method encodes its arguments first and takes the handle last, right before the C
 * call: encoding may run user code (`\JsonSerializable`), which may close this client.
 *
 * Lifetime: the native handle is freed exactly once, by {@see close()} (idempotent) or when
 * the object is destroyed, whichever comes first. After close() every call throws an
 * InvalidInputException (`field` `client`, code `Status::ERR_NULL_ARGUMENT`, what C answers
 * for a NULL client). A Client cannot be cloned, serialized, unserialized or constructed
 * twice (InvalidInputException, `Status::ERR_INVALID_INPUT`): each would copy, lose or
 * replace the one handle. The configuration, with its secret key, is not kept in PHP:
 * `var_dump($client)` shows only whether it is open, and the constructor's argument is
 * `#[\SensitiveParameter]`, so no stack trace shows it (PHP 8.2+).
 *
 * @throws ValidationException a field rule is broken (nothing sent; `field` is the path)
 * @throws ApiException DOKU answered with an error status
 * @throws TimeoutException outcome unknown: check status, or retry with the same request_id
 * @throws DokuException the other kinds (transport, decode, invalid_input)
 */
final class Client
{
    /** The `doku_client *`; null before construction and after close(). */
    private ?CData $handle = null;
    private bool $closed = false;

    /**
     * @param array{client_id: string, secret_key: string, environment?: 'sandbox'|'production',
     *   base_url?: string, connect_timeout_ms?: int, timeout_ms?: int, deadline_ms?: int,
     *   retries?: int, retry_backoff_ms?: int, proxy?: string,
     *   response_signature?: 'require'|'if_present'|'off', paths?: array<string, string>,
     *   previous_secret_keys?: list<string>, correct_clock_skew?: bool} $config
     *   `environment` or `base_url`; `deadline_ms` bounds a whole call, every attempt and
     *   wait included (default 60000); `previous_secret_keys` (newest first) lets DOKU's
     *   response signatures made with a key being rotated out verify (requests are always
     *   signed with `secret_key`); `correct_clock_skew` signs with this machine's time
     *   corrected by the skew measured from DOKU's answers (off by default; see
     *   {@see clockSkew()}). libdoku checks every key. Values are scalars, arrays or
     *   `\stdClass`.
     * @throws ConfigException an unusable or unknown key (`field` names it)
     * @throws InvalidInputException the constructor was already run on this object
     */
    public function __construct(#[\SensitiveParameter] array $config)
    {
        if ($this->handle !== null || $this->closed) {
            throw new InvalidInputException(
                'Client::__construct() was already called on this client; create a new Client instead',
                field: 'client',
            );
        }
        $ffi = Native::$ffi ?? Native::ffi();
        $json = Json::encode($config, 'config');
        $handle = $ffi->new('doku_client *');
        Native::call($ffi->doku_client_new($json, FFI::addr($handle)));
        $this->handle = $handle;
    }

    /**
     * Frees the native client (its connection pool) now. Idempotent: a second close() does
     * nothing. Any later call on this client throws an InvalidInputException.
     */
    public function close(): void
    {
        $this->closed = true;
        $handle = $this->handle;
        if ($handle === null) {
            return;
        }
        $this->handle = null; // cleared before the free: no path can free it twice
        (Native::$ffi ?? Native::ffi())->doku_client_free($handle);
    }

    /** True after close() (or on an object that was never constructed). */
    public function isClosed(): bool
    {
        return $this->handle === null;
    }

    /** Frees the handle unless close() already did. */
    public function __destruct()
    {
        $this->close();
    }

    /** A handle is freed once: a client cannot be copied. The copy owns nothing. */
    public function __clone()
    {
        $this->handle = null;
        $this->closed = true;
        throw new InvalidInputException('a Client cannot be cloned: share the one instance (it is safe to reuse)', field: 'client');
    }

    /** @return never */
    public function __serialize(): array
    {
        throw new InvalidInputException('a Client cannot be serialized: create one per process from your configuration', field: 'client');
    }

    /** @param array<mixed> $data */
    public function __unserialize(array $data): void
    {
        $this->closed = true;
        throw new InvalidInputException('a Client cannot be unserialized: create one with new Client($config)', field: 'client');
    }

    /** @param array<mixed> $properties */
    public static function __set_state(array $properties): never
    {
        throw new InvalidInputException('a Client cannot be restored from var_export(): create one with new Client($config)', field: 'client');
    }

    /** @return array{closed: bool} never the configuration (it is not kept in PHP) */
    public function __debugInfo(): array
    {
        return ['closed' => $this->handle === null];
    }

    /**
     * How far DOKU's clock is ahead of this machine's, in seconds (negative: behind), as
     * measured from the time headers (`Response-Timestamp`, `Date`) of this client's last
     * answer; null until an answer carried a time. A request DOKU refuses for its
     * timestamp fails with an ApiException whose message states this skew; with
     * `correct_clock_skew` in the configuration the client signs with the corrected time.
     *
     * @throws InvalidInputException the client is closed
     */
    public function clockSkew(): ?int
    {
        $ffi = Native::$ffi ?? Native::ffi();
        $skew = $ffi->new('int64_t');
        $measured = $ffi->new('int');
        Native::call($ffi->doku_client_clock_skew($this->handle(), FFI::addr($skew), FFI::addr($measured)));
        return $measured->cdata !== 0 ? (int) $skew->cdata : null;
    }

    /** The open handle, or the package's exception for a closed (or never built) client. */
    private function handle(): CData
    {
        return $this->handle ?? throw new InvalidInputException(
            'this Client is closed (close() was called, or it was never constructed); create a new Client',
            field: 'client',
            status: Status::ERR_NULL_ARGUMENT,
        );
    }

    /**
     * Alfa Group (Alfamart, Alfamidi, Dan+Dan) payment code.
     *
     * @param array{order: array{invoice_number: string, amount: int|float|string},
     *   online_to_offline_info: array{expired_time?: int, reusable_status?: bool, info?: string},
     *   customer: array{name: string, email?: string}, alfa_info?: array<string, mixed>}|string $request
     *   an array, or a string of raw JSON (sent byte for byte)
     * @param array{request_id?: string, timestamp?: string} $options
     * @return array{status: int, request_id: string, response_timestamp: ?string, replay: bool,
     *   signature_verified: bool, key_index: ?int, body: array{order: array{invoice_number: string, amount: int|float|string},
     *   online_to_offline_info: array{payment_code: string, ...<string, mixed>}, ...<string, mixed>}}
     */
    public function alfaPaymentCode(array|string $request, array $options = []): array
    {
        $ffi = Native::$ffi ?? Native::ffi();
        $json = Json::encode($request, 'request');
        $opts = Json::options($options);
        return Json::decode(Native::callString($ffi->doku_alfa_payment_code($this->handle(), $json, $opts, Native::$outAddr)));
    }

    /**
     * Indomaret payment code.
     *
     * @param array{order: array{invoice_number: string, amount: int|float|string},
     *   online_to_offline_info: array{expired_time?: int, reusable_status?: bool, info?: string},
     *   customer: array{name: string, email?: string}, indomaret_info?: array<string, mixed>}|string $request
     *   an array, or a string of raw JSON (sent byte for byte)
     * @param array{request_id?: string, timestamp?: string} $options
     * @return array{status: int, request_id: string, response_timestamp: ?string, replay: bool,
     *   signature_verified: bool, key_index: ?int, body: array{order: array{invoice_number: string, amount: int|float|string},
     *   online_to_offline_info: array{payment_code: string, ...<string, mixed>}, ...<string, mixed>}}
     */
    public function indomaretPaymentCode(array|string $request, array $options = []): array
    {
        $ffi = Native::$ffi ?? Native::ffi();
        $json = Json::encode($request, 'request');
        $opts = Json::options($options);
        return Json::decode(Native::callString($ffi->doku_indomaret_payment_code($this->handle(), $json, $opts, Native::$outAddr)));
    }

    /**
     * Indodana paylater order (`body.payment.url` is where the customer pays).
     *
     * @param array{order: array{invoice_number: string, amount: int|float|string,
     *   line_items: list<array{name: string, price: int|float|string, quantity: int, ...<string, mixed>}>,
     *   callback_url?: string, callback_url_cancel?: string},
     *   peer_to_peer_info?: array<string, mixed>, customer: array<string, mixed>,
     *   billing_address?: array<string, mixed>, shipping_address?: array<string, mixed>}|string $request
     *   an array, or a string of raw JSON (sent byte for byte)
     * @param array{request_id?: string, timestamp?: string} $options
     * @return array{status: int, request_id: string, response_timestamp: ?string, replay: bool,
     *   signature_verified: bool, key_index: ?int, body: array{order: array{invoice_number: string, ...<string, mixed>},
     *   payment: array{status: string, url: string, ...<string, mixed>}, ...<string, mixed>}}
     */
    public function indodanaGenerateOrder(array|string $request, array $options = []): array
    {
        $ffi = Native::$ffi ?? Native::ffi();
        $json = Json::encode($request, 'request');
        $opts = Json::options($options);
        return Json::decode(Native::callString($ffi->doku_indodana_generate_order($this->handle(), $json, $opts, Native::$outAddr)));
    }

    /**
     * Check status by invoice number or the original Request-Id (a signed GET).
     *
     * @param array{request_id?: string, timestamp?: string} $options
     * @return array{status: int, request_id: string, response_timestamp: ?string, replay: bool,
     *   signature_verified: bool, key_index: ?int, body: array{order: array{invoice_number: string, amount: int|float|string, ...<string, mixed>},
     *   transaction: array{status: string, original_request_id?: string, ...<string, mixed>},
     *   ...<string, mixed>}}
     */
    public function checkStatus(string $id, array $options = []): array
    {
        $ffi = Native::$ffi ?? Native::ffi();
        Json::text($id, 'id');
        $opts = Json::options($options);
        return Json::decode(Native::callString($ffi->doku_check_status($this->handle(), $id, $opts, Native::$outAddr)));
    }

    /**
     * Any operation by name (`alfa_payment_code`, `indomaret_payment_code`,
     * `indodana_generate_order`, `check_status` with `['id' => ...]`), validated first.
     *
     * @param array<string, mixed>|string $request
     * @param array{request_id?: string, timestamp?: string} $options
     * @return array{status: int, request_id: string, response_timestamp: ?string, replay: bool,
     *   signature_verified: bool, key_index: ?int, body: array<string, mixed>}
     */
    public function call(string $operation, array|string $request, array $options = []): array
    {
        $ffi = Native::$ffi ?? Native::ffi();
        Json::text($operation, 'operation');
        $json = Json::encode($request, 'request');
        $opts = Json::options($options);
        return Json::decode(Native::callString($ffi->doku_client_call($this->handle(), $operation, $json, $opts, Native::$outAddr)));
    }

    /**
     * A signed request to any Non-SNAP path, not validated against field rules: `GET` with
     * a null body, or `POST` with a body (array or raw JSON).
     *
     * @param array<string, mixed>|string|null $body an array, or a string of raw JSON; any
     *   other value (an object, a Closure, a Generator, a number) is refused
     * @param array{request_id?: string, timestamp?: string} $options
     * @return array{status: int, request_id: string, response_timestamp: ?string, replay: bool,
     *   signature_verified: bool, key_index: ?int, body: array<string, mixed>}
     */
    public function request(string $method, string $path, mixed $body = null, array $options = []): array
    {
        $ffi = Native::$ffi ?? Native::ffi();
        Json::text($method, 'method');
        Json::text($path, 'path');
        $json = $body === null ? null : Json::encode($body, 'body');
        $opts = Json::options($options);
        return Json::decode(Native::callString($ffi->doku_request($this->handle(), $method, $path, $json, $opts, Native::$outAddr)));
    }

    /**
     * Checks a request against the field rules of `$operation` without sending anything.
     *
     * @param array<string, mixed>|string $request
     * @throws ValidationException naming the JSON path at fault
     */
    public static function validate(string $operation, array|string $request): void
    {
        $ffi = Native::$ffi ?? Native::ffi();
        Json::text($operation, 'operation');
        Native::call($ffi->doku_validate($operation, Json::encode($request, 'request')));
    }
}
