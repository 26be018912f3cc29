<?php

declare(strict_types=1);

namespace Doku\Direct\Tests;

use Doku\Direct\Client;
use Doku\Direct\Exception\DokuException;
use Doku\Direct\Exception\SignatureException;
use Doku\Direct\Inquiry;
use Doku\Direct\Notification;
use Doku\Direct\Signature;
use PHPUnit\Framework\TestCase;

/**
 * The shared table of cases (tests/data/cases.json), run through the PHP classes. The Rust,
 * C and Python suites run the same table: the same input gives the same outcome, error kind
 * and field on every surface. Signature::verify answers a mismatch with false (the PHP API's
 * convention), so there the kind is checked without a field.
 *
 * @group memcheck
 */
final class CasesTest extends TestCase
{
    /** @return array<string, mixed> */
    private static function table(): array
    {
        $path = dirname(__DIR__, 3) . '/tests/data/cases.json';
        return json_decode((string) file_get_contents($path), true, 512, JSON_THROW_ON_ERROR);
    }

    /** @return iterable<string, array{0: array<string, mixed>}> */
    public static function cases(): iterable
    {
        foreach (self::table()['cases'] as $case) {
            yield $case['name'] => [$case];
        }
    }

    public function testTheTableIsThere(): void
    {
        $cases = self::table()['cases'];
        $this->assertGreaterThanOrEqual(30, count($cases));
        foreach ($cases as $case) {
            if (in_array('php', $case['skip'] ?? [], true)) {
                $this->assertNotEmpty($case['why'] ?? '', $case['name'] . ': a skip says why');
            }
        }
    }

    /** @param array<string, mixed> $in */
    private static function body(array $in): ?string
    {
        if (isset($in['body_hex'])) {
            return (string) hex2bin($in['body_hex']);
        }
        if (isset($in['body_repeat'])) {
            return str_repeat($in['body_repeat']['unit'], $in['body_repeat']['count']);
        }
        return $in['body'] ?? null;
    }

    /**
     * Runs one case: the values the expectation may name, or an exception.
     *
     * @param array<string, mixed> $in
     * @return array<string, mixed>
     */
    private static function runCase(string $op, array $in): array
    {
        switch ($op) {
            case 'sign':
                return ['signature' => Signature::sign(
                    $in['client_id'], $in['request_id'], $in['timestamp'], $in['request_target'],
                    self::body($in), $in['secret_key'],
                )];
            case 'verify':
                $ok = Signature::verify(
                    $in['client_id'], $in['request_id'], $in['timestamp'], $in['request_target'],
                    self::body($in), $in['secret_key'], $in['signature'],
                );
                if (!$ok) {
                    throw new SignatureException('verify returned false');
                }
                return [];
            case 'validate':
                Client::validate($in['operation'], (string) self::body($in));
                return [];
            case 'verify_notification':
                $options = isset($in['tolerance_secs']) ? ['tolerance_secs' => $in['tolerance_secs']] : [];
                $n = Notification::verify(
                    $in['headers'], (string) self::body($in), $in['path'], $in['client_id'], $in['secret_key'], $options,
                );
                return ['invoice_number' => $n['invoice_number'], 'amount' => $n['amount']];
            case 'config':
                new Client($in['config']);
                return [];
            case 'inquiry_reply':
                Inquiry::reply($in['inquiry'], $in['answer'], $in['inquiry_path'], $in['secret_key']);
                return [];
        }
        throw new \LogicException("unknown op $op");
    }

    /**
     * @dataProvider cases
     * @param array<string, mixed> $case
     */
    public function testCase(array $case): void
    {
        if (in_array('php', $case['skip'] ?? [], true)) {
            $this->markTestSkipped($case['why']);
        }
        $expect = $case['expect'];
        if ($expect['ok'] ?? false) {
            $got = self::runCase($case['op'], $case['input']);
            $this->addToAssertionCount(1); // it succeeded, as expected
            foreach ($expect as $key => $want) {
                if ($key !== 'ok') {
                    $this->assertSame($want, $got[$key], $key);
                }
            }
            return;
        }
        try {
            self::runCase($case['op'], $case['input']);
        } catch (DokuException $e) {
            $this->assertSame($expect['kind'], $e->kind, $e->getMessage());
            if (!($case['op'] === 'verify' && $expect['kind'] === 'signature_mismatch')) {
                $this->assertSame($expect['field'], $e->field, $e->getMessage());
            }
            return;
        }
        $this->fail('no exception; want ' . $expect['kind']);
    }
}
