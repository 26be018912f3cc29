<?php

declare(strict_types=1);

namespace Doku\Direct\Tests;

use Doku\Direct\Library;
use Doku\Direct\Signature;
use Doku\Direct\Status;
use PHPUnit\Framework\TestCase;

/**
 * The signature vectors (tests/data/vectors.json), which also drive the Rust, C and Python suites:
 * every case signs to its signature and verifies, and every must_not_verify entry fails.
 *
 * @group memcheck
 */
final class VectorsTest extends TestCase
{
    private static array $vectors;

    public static function setUpBeforeClass(): void
    {
        self::$vectors = json_decode((string) file_get_contents((string) getenv('DOKU_VECTORS')), true, 512, JSON_THROW_ON_ERROR);
    }

    /** @return iterable<string, array{0: array<string, mixed>}> */
    public static function cases(): iterable
    {
        $v = json_decode((string) file_get_contents((string) getenv('DOKU_VECTORS')), true, 512, JSON_THROW_ON_ERROR);
        foreach ($v['cases'] as $case) {
            yield $case['name'] => [$case];
        }
    }

    public function testTheVectorsAreAllThere(): void
    {
        $this->assertGreaterThanOrEqual(5, count(self::$vectors['cases']));
        $this->assertNotEmpty(self::$vectors['must_not_verify_against_post_alfa_compact']);
        $kinds = array_unique(array_column(self::$vectors['cases'], 'kind'));
        sort($kinds);
        $this->assertSame(['request', 'response'], $kinds);
        $this->assertContains(null, array_column(self::$vectors['cases'], 'body'), 'a GET case (no body)');
    }

    /** @dataProvider cases */
    public function testSignsAndVerifiesEveryCase(array $c): void
    {
        $sk = self::$vectors['secret_key'];
        [$sign, $verify] = $c['kind'] === 'response'
            ? [[Signature::class, 'signResponse'], [Signature::class, 'verifyResponse']]
            : [[Signature::class, 'sign'], [Signature::class, 'verify']];
        $args = [$c['client_id'], $c['request_id'], $c['timestamp'], $c['request_target'], $c['body'], $sk];
        $this->assertSame($c['signature'], $sign(...$args), $c['name']);
        $this->assertTrue($verify(...[...$args, $c['signature']]), $c['name']);

        // The other component kind, another key, or other body bytes do not verify.
        [, $other] = $c['kind'] === 'response'
            ? [null, [Signature::class, 'verify']]
            : [null, [Signature::class, 'verifyResponse']];
        $this->assertFalse($other(...[...$args, $c['signature']]), "{$c['name']} as the other kind");
        $args[5] = $sk . 'x';
        $this->assertFalse($verify(...[...$args, $c['signature']]), "{$c['name']} with another key");
        $args[5] = $sk;
        $args[4] = $c['body'] === null ? '' : $c['body'] . ' ';
        $this->assertFalse($verify(...[...$args, $c['signature']]), "{$c['name']} with other body bytes");
    }

    public function testMustNotVerifyEntriesFail(): void
    {
        $c = self::byName('post-alfa-compact');
        $sk = self::$vectors['secret_key'];
        foreach (self::$vectors['must_not_verify_against_post_alfa_compact'] as $bad) {
            $this->assertFalse(
                Signature::verify($c['client_id'], $c['request_id'], $c['timestamp'], $c['request_target'], $c['body'], $sk, $bad['signature']),
                $bad['name'],
            );
        }
        $this->assertTrue(Signature::verify($c['client_id'], $c['request_id'], $c['timestamp'], $c['request_target'], $c['body'], $sk, $c['signature']));
    }

    public function testNullBodyIsGetAndEmptyStringIsAnEmptyPost(): void
    {
        $sk = self::$vectors['secret_key'];
        $get = Signature::sign('C', 'R', '2020-08-11T08:45:42Z', '/orders/v1/status/INV-1', null, $sk);
        $post = Signature::sign('C', 'R', '2020-08-11T08:45:42Z', '/orders/v1/status/INV-1', '', $sk);
        $this->assertNotSame($get, $post);
        $this->assertMatchesRegularExpression('~^HMACSHA256=[A-Za-z0-9+/]{43}=$~', $get);
        $this->assertTrue(Signature::verify('C', 'R', '2020-08-11T08:45:42Z', '/orders/v1/status/INV-1', null, $sk, $get));
        $this->assertFalse(Signature::verify('C', 'R', '2020-08-11T08:45:42Z', '/orders/v1/status/INV-1', null, $sk, $post));
    }

    public function testBodyIsBytesNotText(): void
    {
        // A body with a NUL byte travels as pointer + length: it is not cut at the NUL
        // (libdoku then refuses nothing: NUL is valid UTF-8).
        $sk = self::$vectors['secret_key'];
        $a = Signature::sign('C', 'R', '2020-08-11T08:45:42Z', '/x', "{\"a\":\"b\0c\"}", $sk);
        $b = Signature::sign('C', 'R', '2020-08-11T08:45:42Z', '/x', '{"a":"b', $sk);
        $this->assertNotSame($a, $b);
    }

    /** The PHP status constants are exactly include/doku.h's #defines (defined once in PHP). */
    public function testStatusConstantsMatchTheCHeader(): void
    {
        $header = (string) file_get_contents(dirname(__DIR__, 3) . '/include/doku.h');
        preg_match_all('~^#define DOKU_(\w+) (\d+)$~m', $header, $m, PREG_SET_ORDER);
        $fromC = [];
        foreach ($m as [, $name, $value]) {
            $fromC[$name] = (int) $value;
        }
        $this->assertNotEmpty($fromC);
        $this->assertSame($fromC, (new \ReflectionClass(Status::class))->getConstants());
    }

    /** The PHP header is the C header's declarations without preprocessor lines. */
    public function testThePhpHeaderHasNoPreprocessorLinesAndEveryFunction(): void
    {
        $php = (string) file_get_contents(dirname(__DIR__) . '/src/doku_php.h');
        $this->assertDoesNotMatchRegularExpression('~^\s*#~m', $php);
        $c = (string) file_get_contents(dirname(__DIR__, 3) . '/include/doku.h');
        preg_match_all('~\b(doku_\w+)\(~', $c, $cm);
        preg_match_all('~\b(doku_\w+)\(~', $php, $pm);
        $this->assertSame(array_values(array_unique($cm[1])), array_values(array_unique($pm[1])));
    }

    public function testLibraryVersion(): void
    {
        $this->assertMatchesRegularExpression('~^\d+\.\d+\.\d+~', Library::version());
        $this->assertSame(getenv('DOKU_LIBRARY'), Library::path());
    }

    private static function byName(string $name): array
    {
        foreach (self::$vectors['cases'] as $c) {
            if ($c['name'] === $name) {
                return $c;
            }
        }
        throw new \LogicException("no vector {$name}");
    }
}
