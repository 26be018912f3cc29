<?php

/**
 * PHP benchmark (`make bench-php`): Doku\Direct\Signature::sign over FFI vs a pure-PHP
 * hash_hmac signature done the way DOKU's old PHP library does it, on the vector
 * "post-alfa-pretty". Prints ns per signature and the ratio; never fails on speed.
 *
 * Env: DOKU_LIBRARY (libdoku.so), DOKU_VECTORS (vectors.json), BENCH_N (signatures per round).
 */

declare(strict_types=1);

require __DIR__ . '/../../bindings/php/autoload.php';

use Doku\Direct\Internal\Native;
use Doku\Direct\Signature;

/** DOKU's old PHP library: digest, component, hash_hmac, base64 (jokul-php-library style). */
function legacy_signature(string $clientId, string $requestId, string $timestamp, string $target, string $body, string $secretKey): string
{
    $digest = base64_encode(hash('sha256', $body, true));
    $component = 'Client-Id:' . $clientId . "\n"
        . 'Request-Id:' . $requestId . "\n"
        . 'Request-Timestamp:' . $timestamp . "\n"
        . 'Request-Target:' . $target . "\n"
        . 'Digest:' . $digest;
    return 'HMACSHA256=' . base64_encode(hash_hmac('sha256', $component, $secretKey, true));
}

$vectors = json_decode((string) file_get_contents(getenv('DOKU_VECTORS') ?: dirname(__DIR__, 2) . '/tests/data/vectors.json'), true, 512, JSON_THROW_ON_ERROR);
$case = null;
foreach ($vectors['cases'] as $c) {
    if ($c['name'] === 'post-alfa-pretty') {
        $case = $c;
    }
}
if ($case === null) {
    fwrite(STDERR, "bench-php: no post-alfa-pretty vector\n");
    exit(1);
}
[$cid, $rid, $ts, $target, $body, $sk] = [$case['client_id'], $case['request_id'], $case['timestamp'], $case['request_target'], $case['body'], $vectors['secret_key']];

// Both must produce the vector's signature before anything is timed.
foreach (['ffi' => Signature::sign($cid, $rid, $ts, $target, $body, $sk), 'hash_hmac' => legacy_signature($cid, $rid, $ts, $target, $body, $sk)] as $name => $sig) {
    if ($sig !== $case['signature']) {
        fwrite(STDERR, "bench-php: {$name} gives {$sig}, the vector says {$case['signature']}\n");
        exit(1);
    }
}

$n = (int) (getenv('BENCH_N') ?: 200_000);
$rounds = 5;
$ffi = Native::ffi();
$bench = [
    'ffi Signature::sign' => static function () use ($n, $cid, $rid, $ts, $target, $body, $sk): void {
        for ($i = 0; $i < $n; $i++) {
            Signature::sign($cid, $rid, $ts, $target, $body, $sk);
        }
    },
    'php hash_hmac (legacy)' => static function () use ($n, $cid, $rid, $ts, $target, $body, $sk): void {
        for ($i = 0; $i < $n; $i++) {
            legacy_signature($cid, $rid, $ts, $target, $body, $sk);
        }
    },
    'ffi floor: doku_version()' => static function () use ($n, $ffi): void {
        for ($i = 0; $i < $n; $i++) {
            $ffi->doku_version();
        }
    },
];
$samples = array_fill_keys(array_keys($bench), []);
foreach ($bench as $fn) {
    $fn(); // warm-up
}
for ($r = 0; $r < $rounds; $r++) { // interleaved rounds, median per candidate
    foreach ($bench as $name => $fn) {
        $t = hrtime(true);
        $fn();
        $samples[$name][] = (hrtime(true) - $t) / $n;
    }
}
$median = [];
foreach ($samples as $name => $s) {
    sort($s);
    $median[$name] = $s[intdiv(count($s), 2)];
}

printf("bench-php: PHP %s, %s, vector post-alfa-pretty (%d-byte body), %d x %d signatures\n",
    PHP_VERSION, (function_exists('opcache_get_status') && @opcache_get_status(false)) ? 'opcache on' : 'opcache off', strlen($body), $rounds, $n);
foreach ($median as $name => $ns) {
    printf("  %-28s %8.0f ns/op\n", $name, $ns);
}
// What opcache.preload + FFI::scope saves each php-fpm request: parsing the header.
$header = (string) file_get_contents(Native::headerPath());
$lib = Native::libraryPath();
$t = hrtime(true);
for ($i = 0; $i < 200; $i++) {
    FFI::cdef($header, $lib);
}
printf("  %-28s %8.1f us per request without opcache.preload (FFI::scope: none)\n", 'FFI::cdef (header parse)', (hrtime(true) - $t) / 200 / 1000);
$ratio = $median['php hash_hmac (legacy)'] / $median['ffi Signature::sign'];
printf("ratio: hash_hmac / FFI sign = %.2fx (%s)\n", $ratio, $ratio >= 1 ? 'FFI is faster' : 'hash_hmac is faster');
