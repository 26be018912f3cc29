<?php

declare(strict_types=1);

namespace Doku\Direct\Tests;

use Doku\Direct\Client;
use Doku\Direct\Exception\DokuException;
use Doku\Direct\Inquiry;
use Doku\Direct\Notification;
use Doku\Direct\Signature;
use PHPUnit\Framework\TestCase;

/**
 * With argument capture on (`zend.exception_ignore_args=0`: PHP's built-in default and
 * php.ini-development), an exception's trace records every frame's arguments, and error
 * logs and framework error pages print them through print_r, var_dump or (string). No
 * exception the package throws may show the secret key there, or a signature: every
 * parameter that can carry one is #[\SensitiveParameter], and the PHP layer never lets an
 * internal function (json_encode) throw with the configuration as its argument.
 *
 * Each case also checks that capture really is on: a marker passed as a non-secret
 * argument (the client id) does appear in the same output.
 *
 * @group memcheck
 */
final class SecretsInTracesTest extends TestCase
{
    /** Distinct from anything else in the output; its first 15 bytes are distinctive too. */
    private const SECRET = 'SKsecretTRACE42-do-not-print';
    private const MARKER = 'CIDmarker7';
    private const SIG = 'HMACSHA256=c2lnbmF0dXJlLW5vdC10by1wcmludA==';

    /** @var array<string, string> */
    private array $saved = [];

    /**
     * Capture on, and (string) $e printing whole string arguments (Debian's php.ini sets
     * the length to 0, PHP's own default is 15): the most a trace can ever show.
     */
    protected function setUp(): void
    {
        foreach (['zend.exception_ignore_args' => '0', 'zend.exception_string_param_max_len' => '1000000'] as $name => $value) {
            $this->saved[$name] = (string) ini_get($name);
            ini_set($name, $value);
            $this->assertSame($value, ini_get($name), "{$name} must be {$value} for this test");
        }
    }

    protected function tearDown(): void
    {
        foreach ($this->saved as $name => $value) {
            ini_set($name, $value);
        }
    }

    /** print_r, var_dump and (string) of $e, as error pages and loggers render it. */
    private static function renderings(\Throwable $e): array
    {
        ob_start();
        var_dump($e);
        $dump = (string) ob_get_clean();
        return ['print_r' => print_r($e, true), 'var_dump' => $dump, 'string' => (string) $e];
    }

    /** $fn is sensitive here: the closures capture the test's secret, and are not the package. */
    private function assertNoSecretIn(string $case, #[\SensitiveParameter] callable $fn, bool $markerInTrace = true): void
    {
        try {
            $fn();
        } catch (DokuException $e) {
            foreach (self::renderings($e) as $how => $text) {
                $this->assertStringNotContainsString(self::SECRET, $text, "{$case}: {$how} shows the secret");
                $this->assertStringNotContainsString(substr(self::SECRET, 0, 12), $text, "{$case}: {$how} shows part of the secret");
                $this->assertStringNotContainsString(substr(self::SIG, 11, 16), $text, "{$case}: {$how} shows the signature");
                if ($markerInTrace) {
                    $this->assertStringContainsString(self::MARKER, $text, "{$case}: {$how} has no arguments: is capture on?");
                }
            }
            $this->assertGreaterThan(0, $e->getCode(), "{$case}: every package exception has its status");
            return;
        }
        $this->fail("{$case}: nothing thrown");
    }

    /** The control: with capture on, a plain argument does appear in every rendering. */
    public function testArgumentsAreCapturedForNonSecretParameters(): void
    {
        try {
            Signature::sign(self::MARKER, '', '2020-08-11T08:45:42Z', '/x', null, 'k');
            $this->fail('signed an empty request_id');
        } catch (DokuException $e) {
            foreach (self::renderings($e) as $how => $text) {
                $this->assertStringContainsString(self::MARKER, $text, $how);
            }
            $this->assertStringContainsString('SensitiveParameterValue', print_r($e, true));
        }
    }

    public function testSignatureFunctions(): void
    {
        $ts = '2020-08-11T08:45:42Z';
        $cases = [
            'sign: empty request_id' => fn () => Signature::sign(self::MARKER, '', $ts, '/x', null, self::SECRET),
            'sign: not-a-time' => fn () => Signature::sign(self::MARKER, 'R', 'not-a-time', '/x', null, self::SECRET),
            'sign: NUL in client_id' => fn () => Signature::sign(self::MARKER . "\0", 'R', $ts, '/x', null, self::SECRET),
            'sign: NUL in the secret' => fn () => Signature::sign(self::MARKER, 'R', $ts, '/x', null, self::SECRET . "\0"),
            'signResponse: bad target' => fn () => Signature::signResponse(self::MARKER, 'R', $ts, 'x', '{}', self::SECRET),
            'verify: empty request_id' => fn () => Signature::verify(self::MARKER, '', $ts, '/x', null, self::SECRET, self::SIG),
            'verify: NUL in the signature' => fn () => Signature::verify(self::MARKER, 'R', $ts, '/x', null, self::SECRET, self::SIG . "\0"),
            'verifyResponse: empty request_id' => fn () => Signature::verifyResponse(self::MARKER, '', $ts, '/x', null, self::SECRET, self::SIG),
        ];
        foreach ($cases as $case => $fn) {
            $this->assertNoSecretIn($case, $fn);
        }
    }

    public function testClientConfiguration(): void
    {
        $config = ['client_id' => self::MARKER, 'secret_key' => self::SECRET, 'base_url' => 'http://127.0.0.1:9'];
        $cases = [
            'config error' => fn () => new Client($config + ['retries' => 'three']),
            'unknown key' => fn () => new Client($config + ['colour' => 'blue']),
            // Not JSON-encodable: json_encode must not throw with the array as its argument.
            'invalid UTF-8' => fn () => new Client($config + ['proxy' => "http://\xC3("]),
            'NAN' => fn () => new Client($config + ['timeout_ms' => NAN]),
            'an object' => fn () => new Client($config + ['proxy' => new \ArrayObject()]),
            'JsonSerializable runs no code next to the secret' => fn () => new Client($config + ['proxy' => new class implements \JsonSerializable {
                public function jsonSerialize(): mixed
                {
                    throw new \LogicException('user code ran while the secret was being encoded');
                }
            }]),
        ];
        foreach ($cases as $case => $fn) {
            // The marker is inside the (redacted) configuration, so look for it in the message
            // of a frame we can see instead: the test's own closure frame shows nothing either.
            $this->assertNoSecretIn($case, $fn, false);
        }
        // A call on a working client: the handle, not the configuration, is what it holds.
        $client = new Client($config);
        $this->assertNoSecretIn('call', fn () => $client->checkStatus(self::MARKER . "\0"));
        $this->assertStringNotContainsString(self::SECRET, print_r($client, true) . var_export($client, true));
        ob_start();
        var_dump($client);
        $this->assertStringNotContainsString(self::SECRET, (string) ob_get_clean());
    }

    public function testNotificationsAndInquiries(): void
    {
        $body = '{"order":{"invoice_number":"INV-1","amount":150000},"transaction":{"status":"SUCCESS"}}';
        $ts = gmdate('Y-m-d\TH:i:s\Z');
        $headers = ['Client-Id' => self::MARKER, 'Request-Id' => 'n-1', 'Request-Timestamp' => $ts,
            'Signature' => Signature::sign(self::MARKER, 'n-1', $ts, '/notify', $body, self::SECRET)];
        $cases = [
            'tampered body' => fn () => Notification::verify($headers, $body . ' ', '/notify', self::MARKER, self::SECRET),
            'NUL in the path' => fn () => Notification::verify($headers, $body, "/notify\0", self::MARKER, self::SECRET),
            'header value an array of arrays' => fn () => Notification::verify(['Signature' => [['x']]] + $headers, $body, '/notify', self::MARKER, self::SECRET),
            'inquiry tampered' => fn () => Inquiry::verify($headers, $body . ' ', '/notify', self::MARKER, self::SECRET),
            'inquiry reply without amount' => fn () => Inquiry::reply(['request_id' => 'i', 'client_id' => self::MARKER,
                'request_timestamp' => $ts, 'payment_code' => '1'], ['invoice_number' => 'INV-1', 'status' => 'success'],
                '/inquiry/' . self::MARKER, self::SECRET),
        ];
        foreach ($cases as $case => $fn) {
            $this->assertNoSecretIn($case, $fn);
        }
    }
}
