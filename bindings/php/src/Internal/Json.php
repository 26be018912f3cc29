<?php

declare(strict_types=1);

namespace Doku\Direct\Internal;

use Doku\Direct\Exception\DecodeException;
use Doku\Direct\Exception\InvalidInputException;

/**
 * JSON in and out of libdoku.
 *
 * Requests are encoded once, with unescaped slashes and Unicode (the bytes DOKU's samples
 * use), and that exact text is what libdoku validates, signs and sends. PHP cannot tell an
 * empty JSON object from an empty list: a top-level `[]` is sent as `{}` (a request,
 * config or options value is always an object); inside a request, write an empty object
 * as `new \stdClass()`. A string is taken as raw JSON and sent byte for byte.
 *
 * Only data is encoded: arrays, scalars, null, and inside them `\stdClass`,
 * `\JsonSerializable` and backed enums. Any other object (a Closure, a Generator, a
 * DateTime, a service) would be encoded as `{}` or as its public properties and sent
 * silently, so it is refused, naming the argument and the path to it. In the client
 * configuration, which holds the secret key, `\JsonSerializable` is refused too: no user
 * code runs while the secret is being encoded, so no stack trace of it can hold the key.
 *
 * Every refusal here is an InvalidInputException whose code is `Status::ERR_INVALID_INPUT`.
 * Parameters that may carry the secret key are `#[\SensitiveParameter]`, and encoding
 * never throws from `json_encode` (whose trace would show its argument): it reports
 * `json_last_error_msg()` instead.
 *
 * @internal
 */
final class Json
{
    public const ENCODE = JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE;

    /** Deeper than this, json_encode itself refuses the value ("Maximum stack depth exceeded"). */
    private const DEPTH = 512;

    /**
     * A request, configuration, options or headers value as JSON text: an array is encoded,
     * a string is raw JSON passed through (after the NUL check). Anything else is refused.
     */
    public static function encode(#[\SensitiveParameter] mixed $value, string $field): string
    {
        if (is_string($value)) {
            self::text($value, $field);
            return $value;
        }
        if (!is_array($value)) {
            throw new InvalidInputException(
                "{$field} must be an array or a string of JSON (got " . get_debug_type($value) . ')',
                field: $field,
            );
        }
        if ($value === []) {
            return '{}';
        }
        self::dataOnly($value, $field, '', $field !== 'config', 0);
        return self::encodeData($value, $field);
    }

    /** Options (`request_id`, `timestamp`, ...): null when there are none. */
    public static function options(array $options): ?string
    {
        return $options === [] ? null : self::encode($options, 'options');
    }

    /**
     * json_encode without JSON_THROW_ON_ERROR: a JsonException's trace would list
     * json_encode's argument (which may hold the secret key) with its values.
     *
     * @param array<mixed> $value
     */
    public static function encodeData(#[\SensitiveParameter] array $value, string $field, int $flags = 0): string
    {
        $json = json_encode($value, self::ENCODE | $flags);
        if ($json === false) {
            throw new InvalidInputException("{$field} cannot be encoded as JSON: " . json_last_error_msg(), field: $field);
        }
        return $json;
    }

    /** @return array<string, mixed> */
    public static function decode(string $json): array
    {
        try {
            $value = json_decode($json, true, 512, JSON_THROW_ON_ERROR | JSON_BIGINT_AS_STRING);
        } catch (\JsonException $e) {
            throw new DecodeException("doku: libdoku returned invalid JSON: {$e->getMessage()}", previous: $e);
        }
        return is_array($value) ? $value : [];
    }

    /**
     * A text argument for a `const char *`: PHP would pass a string with a NUL byte through
     * silently truncated, so such a string is refused here, naming the argument.
     */
    public static function text(#[\SensitiveParameter] string $value, string $field): void
    {
        if (str_contains($value, "\0")) {
            throw new InvalidInputException("{$field} contains a NUL byte", field: $field);
        }
    }

    /**
     * Refuses objects that are not data (see the class comment), naming `$field` and the
     * path inside it (`request.order.callback`). Walks arrays and `\stdClass` properties.
     *
     * @param array<mixed>|\stdClass $value
     */
    private static function dataOnly(#[\SensitiveParameter] array|\stdClass $value, string $field, string $path, bool $serializable, int $depth): void
    {
        if ($depth > self::DEPTH) {
            return; // json_encode refuses it, with its own message
        }
        foreach ($value as $key => $item) {
            if (!is_array($item) && !is_object($item)) {
                continue;
            }
            $at = is_int($key) && is_array($value) ? "{$path}[{$key}]" : ($path === '' ? (string) $key : "{$path}.{$key}");
            if (is_array($item) || $item instanceof \stdClass) {
                self::dataOnly($item, $field, $at, $serializable, $depth + 1);
            } elseif ($item instanceof \BackedEnum || ($serializable && $item instanceof \JsonSerializable)) {
                continue;
            } else {
                $allowed = $serializable ? 'arrays, scalars, null, \stdClass, \JsonSerializable and backed enums' : 'arrays, scalars, null and \stdClass';
                throw new InvalidInputException(
                    "{$field}.{$at} is " . get_debug_type($item) . ", which has no JSON form; {$field} may hold {$allowed}",
                    field: $field,
                );
            }
        }
    }
}
