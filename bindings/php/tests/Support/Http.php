<?php

declare(strict_types=1);

namespace Doku\Direct\Tests\Support;

/** Plain HTTP for the tests' own requests (the sandbox's /_sandbox/ API, forged posts). */
final class Http
{
    /**
     * @param array<string, string> $headers
     * @return array{0: int, 1: array<string, string>, 2: string} status, headers, body
     */
    public static function request(string $method, string $url, ?string $body = null, array $headers = []): array
    {
        $lines = [];
        foreach ($headers + ($body !== null ? ['Content-Type' => 'application/json'] : []) as $k => $v) {
            $lines[] = "{$k}: {$v}";
        }
        $ctx = stream_context_create(['http' => [
            'method' => $method,
            'header' => implode("\r\n", $lines),
            'content' => $body ?? '',
            'ignore_errors' => true,
            'timeout' => 10,
        ]]);
        $http_response_header = [];
        $content = @file_get_contents($url, false, $ctx);
        if ($content === false) {
            throw new \RuntimeException("{$method} {$url} failed: " . (error_get_last()['message'] ?? '?'));
        }
        $status = 0;
        $out = [];
        foreach ($http_response_header as $h) {
            if (preg_match('~^HTTP/\S+ (\d{3})~', $h, $m)) {
                $status = (int) $m[1];
                $out = [];
            } elseif (str_contains($h, ':')) {
                [$k, $v] = explode(':', $h, 2);
                $out[strtolower(trim($k))] = trim($v);
            }
        }
        return [$status, $out, $content];
    }
}
