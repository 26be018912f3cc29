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
 * @internal
 */
final class Json
{
    public const ENCODE = JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR;

    /** @param array<mixed>|object|string $value */
    public static function encode(array|object|string $value, string $field): string
    {
        if (is_string($value)) {
            self::text($value, $field);
            return $value;
        }
        if ($value === []) {
            return '{}';
        }
        try {
            return json_encode($value, self::ENCODE);
        } catch (\JsonException $e) {
            throw new InvalidInputException("{$field} cannot be encoded as JSON: {$e->getMessage()}", field: $field, previous: $e);
        }
    }

    /** Options (`request_id`, `timestamp`, ...): null when there are none. */
    public static function options(array $options): ?string
    {
        return $options === [] ? null : self::encode($options, 'options');
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
    public static function text(string $value, string $field): void
    {
        if (str_contains($value, "\0")) {
            throw new InvalidInputException("{$field} contains a NUL byte", field: $field);
        }
    }
}
