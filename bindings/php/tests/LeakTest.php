<?php

declare(strict_types=1);

namespace Doku\Direct\Tests;

use Doku\Direct\Client;
use Doku\Direct\Exception\ApiException;
use Doku\Direct\Exception\InvalidInputException;
use Doku\Direct\Exception\ValidationException;
use Doku\Direct\Inquiry;
use Doku\Direct\Internal\Native;
use Doku\Direct\Notification;
use Doku\Direct\Signature;
use Doku\Direct\Tests\Support\Bodies;
use Doku\Direct\Tests\Support\Sandbox;
use PHPUnit\Framework\TestCase;

/**
 * No leaks over 100k calls: PHP's heap (memory_get_usage) and the process's RSS (VmRSS in
 * /proc/self/status, which sees libdoku's malloc too) stay flat within a small tolerance.
 * A control run that leaks on purpose shows the RSS measure would catch a leak.
 */
final class LeakTest extends TestCase
{
    private const CALLS = 100_000;
    /** PHP heap growth allowed over a run (PHP's allocator keeps a few pages). */
    private const HEAP_TOLERANCE = 64 * 1024;
    /** RSS growth allowed over a run: a leaked 55-byte string per call would be ~8 MiB. */
    private const RSS_TOLERANCE = 1024 * 1024;

    private static function rss(): int
    {
        preg_match('~^VmRSS:\s+(\d+) kB~m', (string) file_get_contents('/proc/self/status'), $m);
        return (int) $m[1] * 1024;
    }

    /**
     * Runs $op $calls times after a warm-up and returns [heap growth, RSS growth].
     *
     * @return array{0: int, 1: int}
     */
    private static function growth(callable $op, int $calls): array
    {
        for ($i = 0; $i < min(5000, $calls); $i++) {
            $op($i);
        }
        gc_collect_cycles();
        [$heap, $rss] = [memory_get_usage(), self::rss()];
        for ($i = 0; $i < $calls; $i++) {
            $op($i);
        }
        gc_collect_cycles();
        return [memory_get_usage() - $heap, self::rss() - $rss];
    }

    private function assertFlat(string $what, array $growth): void
    {
        [$heap, $rss] = $growth;
        $this->assertLessThanOrEqual(self::HEAP_TOLERANCE, $heap, "{$what}: memory_get_usage grew by {$heap} bytes");
        $this->assertLessThanOrEqual(self::RSS_TOLERANCE, $rss, "{$what}: RSS grew by {$rss} bytes");
    }

    public function testOfflineCallsDoNotLeak(): void
    {
        $v = json_decode((string) file_get_contents((string) getenv('DOKU_VECTORS')), true);
        $c = $v['cases'][1];
        $sk = $v['secret_key'];
        $path = '/payments/notifications';
        $nbody = '{"order":{"invoice_number":"INV-1","amount":150000},"transaction":{"status":"SUCCESS"},'
            . '"online_to_offline_info":{"payment_code":"8888800000000077"}}';
        $headers = ['Client-Id' => 'MCH-1', 'Request-Id' => 'n-1', 'Request-Timestamp' => '2021-06-24T07:30:01Z',
            'Signature' => Signature::sign('MCH-1', 'n-1', '2021-06-24T07:30:01Z', $path, $nbody, 'SK-1')];
        $badBody = Bodies::alfa('INV-1');
        $badBody['order']['amount'] = 0;
        $goodBody = Bodies::alfa('INV-1');
        $inquiry = ['request_id' => 'i-1', 'client_id' => 'MCH-1', 'request_timestamp' => '2021-06-24T07:30:01Z',
            'payment_code' => '8888800000000077', 'body' => new \stdClass()];
        $answer = ['invoice_number' => 'INV-1', 'amount' => 150000, 'status' => 'success'];

        $ops = [
            fn () => Signature::sign($c['client_id'], $c['request_id'], $c['timestamp'], $c['request_target'], $c['body'], $sk),
            fn () => Signature::verify($c['client_id'], $c['request_id'], $c['timestamp'], $c['request_target'], $c['body'], $sk, $c['signature']),
            fn () => Signature::verify($c['client_id'], $c['request_id'], $c['timestamp'], $c['request_target'], $c['body'], $sk . 'x', $c['signature']),
            fn () => Notification::verify($headers, $nbody, $path, 'MCH-1', 'SK-1'),
            fn () => Client::validate('alfa_payment_code', $goodBody),
            function () use ($badBody) {
                try {
                    Client::validate('alfa_payment_code', $badBody);
                } catch (ValidationException) {
                }
            },
            function () {
                try {
                    Signature::sign('', 'R', 'T', '/x', null, 'SK');
                } catch (InvalidInputException) {
                }
            },
            fn () => Inquiry::reply($inquiry, $answer, '/payments/inquiry', 'SK-1'),
        ];
        $n = count($ops);
        $this->assertFlat('offline mix', self::growth(fn (int $i) => $ops[$i % $n](), self::CALLS));
        $this->assertFlat('sign', self::growth($ops[0], self::CALLS));
        $this->assertFlat('errors', self::growth($ops[5], self::CALLS));
    }

    public function testClientsAndNetworkCallsDoNotLeak(): void
    {
        $sandbox = new Sandbox();
        try {
            $config = ['client_id' => Sandbox::CLIENT_ID, 'secret_key' => Sandbox::SECRET_KEY, 'base_url' => $sandbox->url];
            $this->assertFlat('client new/free', self::growth(fn () => new Client($config), 2_000));

            $client = new Client($config);
            $invoice = Bodies::invoice();
            $client->alfaPaymentCode(Bodies::alfa($invoice));
            $this->assertFlat('check status', self::growth(fn () => $client->checkStatus($invoice), 2_000));
            $this->assertFlat('api errors', self::growth(function () use ($client) {
                try {
                    $client->checkStatus('INV-does-not-exist');
                } catch (ApiException) {
                }
            }, 2_000));
        } finally {
            $sandbox->stop();
        }
    }

    /** Control: leaking each signature (never calling doku_string_free) shows up in RSS. */
    public function testTheRssMeasureCatchesALeak(): void
    {
        $ffi = Native::ffi();
        $leak = function () use ($ffi) {
            $ffi->doku_sign('C', 'R', '2020-08-11T08:45:42Z', '/x', null, 0, 'SK', Native::$outAddr);
        };
        [, $rss] = self::growth($leak, self::CALLS);
        $this->assertGreaterThan(self::RSS_TOLERANCE, $rss, 'an intentional leak of 100k strings must exceed the tolerance');
    }
}
