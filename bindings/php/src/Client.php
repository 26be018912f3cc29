<?php

declare(strict_types=1);

namespace Doku\Direct;

use Doku\Direct\Exception\ApiException;
use Doku\Direct\Exception\ConfigException;
use Doku\Direct\Exception\DokuException;
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
 *   'signature_verified' => true, 'body' => [...]]`; a 409 from DOKU is the original
 * response replayed, returned with `'replay' => true`.
 *
 * `$options`: `['request_id' => ..., 'timestamp' => ...]` (both optional). Retries always
 * reuse the same Request-Id.
 *
 * @throws ValidationException a field rule is broken (nothing sent; `field` is the path)
 * @throws ApiException DOKU answered with an error status
 * @throws TimeoutException outcome unknown: check status, or retry with the same request_id
 * @throws DokuException the other kinds (transport, decode, invalid_input)
 */
final class Client
{
    private CData $handle;

    /**
     * @param array<string, mixed> $config `client_id`, `secret_key`, `environment`
     *   (`sandbox`|`production`) or `base_url`, and optionally `connect_timeout_ms`,
     *   `timeout_ms`, `retries`, `retry_backoff_ms`, `proxy`, `response_signature`
     *   (`require`|`if_present`|`off`), `paths` (per-operation path overrides).
     * @throws ConfigException an unusable or unknown key (`field` names it)
     */
    public function __construct(array $config)
    {
        $ffi = Native::ffi();
        $json = Json::encode($config, 'config');
        $handle = $ffi->new('doku_client *');
        Native::call($ffi->doku_client_new($json, FFI::addr($handle)));
        $this->handle = $handle;
    }

    public function __destruct()
    {
        if (isset($this->handle)) {
            Native::ffi()->doku_client_free($this->handle);
        }
    }

    /** A handle is freed once: a client cannot be copied. */
    private function __clone()
    {
    }

    /**
     * Alfa Group (Alfamart, Alfamidi, Dan+Dan) payment code.
     *
     * @param array<string, mixed>|string $request
     * @param array<string, string> $options
     * @return array<string, mixed>
     */
    public function alfaPaymentCode(array|string $request, array $options = []): array
    {
        $ffi = Native::$ffi ?? Native::ffi();
        return Json::decode(Native::callString($ffi->doku_alfa_payment_code(
            $this->handle,
            Json::encode($request, 'request'),
            Json::options($options),
            Native::$outAddr,
        )));
    }

    /**
     * Indomaret payment code.
     *
     * @param array<string, mixed>|string $request
     * @param array<string, string> $options
     * @return array<string, mixed>
     */
    public function indomaretPaymentCode(array|string $request, array $options = []): array
    {
        $ffi = Native::$ffi ?? Native::ffi();
        return Json::decode(Native::callString($ffi->doku_indomaret_payment_code(
            $this->handle,
            Json::encode($request, 'request'),
            Json::options($options),
            Native::$outAddr,
        )));
    }

    /**
     * Indodana paylater order (`body.order.payment.url` is where the customer pays).
     *
     * @param array<string, mixed>|string $request
     * @param array<string, string> $options
     * @return array<string, mixed>
     */
    public function indodanaGenerateOrder(array|string $request, array $options = []): array
    {
        $ffi = Native::$ffi ?? Native::ffi();
        return Json::decode(Native::callString($ffi->doku_indodana_generate_order(
            $this->handle,
            Json::encode($request, 'request'),
            Json::options($options),
            Native::$outAddr,
        )));
    }

    /**
     * Check status by invoice number or the original Request-Id (a signed GET).
     *
     * @param array<string, string> $options
     * @return array<string, mixed>
     */
    public function checkStatus(string $id, array $options = []): array
    {
        $ffi = Native::$ffi ?? Native::ffi();
        Json::text($id, 'id');
        return Json::decode(Native::callString($ffi->doku_check_status(
            $this->handle,
            $id,
            Json::options($options),
            Native::$outAddr,
        )));
    }

    /**
     * Any operation by name (`alfa_payment_code`, `indomaret_payment_code`,
     * `indodana_generate_order`, `check_status` with `['id' => ...]`), validated first.
     *
     * @param array<string, mixed>|string $request
     * @param array<string, string> $options
     * @return array<string, mixed>
     */
    public function call(string $operation, array|string $request, array $options = []): array
    {
        $ffi = Native::$ffi ?? Native::ffi();
        Json::text($operation, 'operation');
        return Json::decode(Native::callString($ffi->doku_client_call(
            $this->handle,
            $operation,
            Json::encode($request, 'request'),
            Json::options($options),
            Native::$outAddr,
        )));
    }

    /**
     * A signed request to any Non-SNAP path, not validated against field rules: `GET` with
     * a null body, or `POST` with a body (array or raw JSON).
     *
     * @param array<string, mixed>|object|string|null $body
     * @param array<string, string> $options
     * @return array<string, mixed>
     */
    public function request(string $method, string $path, array|object|string|null $body = null, array $options = []): array
    {
        $ffi = Native::$ffi ?? Native::ffi();
        Json::text($method, 'method');
        Json::text($path, 'path');
        return Json::decode(Native::callString($ffi->doku_request(
            $this->handle,
            $method,
            $path,
            $body === null ? null : Json::encode($body, 'body'),
            Json::options($options),
            Native::$outAddr,
        )));
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
