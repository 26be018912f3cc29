<?php

declare(strict_types=1);

namespace Doku\Direct\Exception;

use Doku\Direct\Status;

/**
 * The root of every exception this package throws. Carries the fields of libdoku's
 * last-error JSON: `kind` (a stable snake_case name), the message, `field` (the argument or
 * JSON path at fault), and for DOKU's answers `httpStatus`, `requestId` and `body`. The
 * exception code is the C status (`Doku\Direct\Status`), for errors libdoku reports and
 * for those the PHP layer raises itself (a NUL byte in an argument, a value JSON cannot
 * encode, a library that cannot be loaded): `getCode()` is never `Status::OK`. Messages
 * never contain a secret key, a signature or a signing component.
 *
 * It implements the marker {@see DokuExceptionInterface}. Every class stays a
 * `\RuntimeException`: PHP has one parent class, and `catch (DokuException $e)` (the
 * documented root) must keep catching invalid input, so InvalidInputException cannot also
 * be an SPL `\InvalidArgumentException` (a `\LogicException`).
 */
class DokuException extends \RuntimeException implements DokuExceptionInterface
{
    /** The error kind this class stands for (libdoku's `kind`). */
    public const KIND = 'unknown';
    /**
     * The C status (`getCode()`) when none is given. Each subclass names its own; the root
     * is only thrown for a kind this version does not know, which is a library surprise.
     */
    public const STATUS = Status::ERR_PANIC;

    /**
     * libdoku names a JSON argument by its C parameter (`headers_json`); PHP's arguments are
     * the ones the caller wrote (`$headers`). Only whole names are mapped.
     */
    private const PHP_ARGUMENTS = [
        'config_json' => 'config',
        'request_json' => 'request',
        'body_json' => 'body',
        'headers_json' => 'headers',
        'options_json' => 'options',
        'inquiry_json' => 'inquiry',
        'answer_json' => 'answer',
    ];

    /** Which class each libdoku kind is thrown as. New kinds fall back to DokuException. */
    private const CLASSES = [
        'invalid_input' => InvalidInputException::class,
        'validation' => ValidationException::class,
        'signature_mismatch' => SignatureException::class,
        'api' => ApiException::class,
        'timeout' => TimeoutException::class,
        'transport' => TransportException::class,
        'decode' => DecodeException::class,
        'config' => ConfigException::class,
        'panic' => PanicException::class,
    ];

    public readonly string $kind;

    public function __construct(
        string $message,
        ?string $kind = null,
        public readonly ?string $field = null,
        public readonly ?int $httpStatus = null,
        public readonly ?string $requestId = null,
        public readonly ?string $body = null,
        ?int $status = null,
        ?\Throwable $previous = null,
    ) {
        parent::__construct($message, $status ?? static::STATUS, $previous);
        $this->kind = $kind ?? static::KIND;
    }

    /**
     * The exception for a libdoku status and its last-error JSON
     * (`{"kind", "message", "field", "http_status", "request_id", "body"}`).
     *
     * @param array<string, mixed> $error
     */
    public static function fromError(int $status, array $error): self
    {
        $kind = is_string($error['kind'] ?? null) ? $error['kind'] : 'unknown';
        $class = self::CLASSES[$kind] ?? self::class;
        $str = static fn (string $k): ?string => is_scalar($error[$k] ?? null) ? (string) $error[$k] : null;
        $field = $str('field');
        return new $class(
            $str('message') ?? "doku: call failed with status {$status}",
            $kind,
            $field === null ? null : (self::PHP_ARGUMENTS[$field] ?? $field),
            is_int($error['http_status'] ?? null) ? $error['http_status'] : null,
            $str('request_id'),
            $str('body'),
            $status,
        );
    }

    /**
     * True when libdoku could not tell whether DOKU acted on the request: its error kind is
     * `timeout` (call `Client::checkStatus`, or retry with the same `request_id`). False for
     * every other kind: a validation, config or input error was refused before sending, and
     * an API error is DOKU's own answer. libdoku decides the kind; this only reads it.
     */
    public function outcomeUnknown(): bool
    {
        return $this->kind === TimeoutException::KIND;
    }

    public function getKind(): string
    {
        return $this->kind;
    }

    public function getField(): ?string
    {
        return $this->field;
    }

    public function getHttpStatus(): ?int
    {
        return $this->httpStatus;
    }

    public function getRequestId(): ?string
    {
        return $this->requestId;
    }

    public function getBody(): ?string
    {
        return $this->body;
    }
}
