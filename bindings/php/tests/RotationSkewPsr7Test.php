<?php

declare(strict_types=1);

namespace Doku\Direct\Tests;

use Doku\Direct\Client;
use Doku\Direct\Exception\ApiException;
use Doku\Direct\Exception\ConfigException;
use Doku\Direct\Exception\DokuException;
use Doku\Direct\Exception\DokuExceptionInterface;
use Doku\Direct\Exception\InvalidInputException;
use Doku\Direct\Exception\SignatureException;
use Doku\Direct\Inquiry;
use Doku\Direct\Notification;
use Doku\Direct\Signature;
use Doku\Direct\Status;
use Doku\Direct\Testing;
use Doku\Direct\Tests\Support\Bodies;
use Doku\Direct\Tests\Support\Sandbox;
use Nyholm\Psr7\Factory\Psr17Factory;
use Nyholm\Psr7\ServerRequest;
use Nyholm\Psr7\Stream;
use PHPUnit\Framework\TestCase;
use Psr\Http\Message\ServerRequestInterface;

/**
 * Issue 11 in PHP: secret-key rotation (previous keys, key_index), clock skew, the PSR-7
 * entry points (with Debian's Nyholm PSR-7), and Testing::signedNotification (issue 10).
 *
 * @group memcheck
 */
final class RotationSkewPsr7Test extends TestCase
{
    private const CLIENT_ID = 'MCH-PHP-ROT';
    private const NEW = 'SK-php-rotation-new-not-real';
    private const OLD = 'SK-php-rotation-old-not-real';
    private const PATH = '/payments/notifications';
    private const INQUIRY_PATH = '/payments/inquiry';
    private const TS = '2026-11-29T01:00:00Z';
    private const BODY = '{"order":{"invoice_number":"INV-PHP-ROT","amount":10000},"transaction":{"status":"SUCCESS"}}';
    private const INQUIRY_BODY = '{"service":{"id":"ONLINE_TO_OFFLINE"},"acquirer":{"id":"ALFA"},'
        . '"channel":{"id":"ONLINE_TO_OFFLINE_ALFA"},"online_to_offline_info":{"payment_code":"8888800000000077"},'
        . '"online_to_offline_inquiry":{"date":"2021-06-24T07:30:00Z"}}';

    private static ?Sandbox $sandbox = null;

    public static function tearDownAfterClass(): void
    {
        self::$sandbox?->stop();
        self::$sandbox = null;
    }

    private static function sandbox(): Sandbox
    {
        return self::$sandbox ??= new Sandbox();
    }

    /** @return array<string, string> */
    private static function signedWith(string $secret, string $body = self::BODY, string $path = self::PATH): array
    {
        return [
            'Client-Id' => self::CLIENT_ID,
            'Request-Id' => 'req-php-rot',
            'Request-Timestamp' => self::TS,
            'Signature' => Signature::sign(self::CLIENT_ID, 'req-php-rot', self::TS, $path, $body, $secret),
            'Content-Type' => 'application/json',
        ];
    }

    /** @param array<string, string|list<string>> $headers */
    private static function psr7(array $headers, string $body, string $uri = 'http://shop.example/payments/notifications'): ServerRequestInterface
    {
        $request = (new Psr17Factory())->createServerRequest('POST', $uri);
        foreach ($headers as $name => $value) {
            $request = $request->withHeader($name, $value);
        }
        return $request->withBody(Stream::create($body));
    }

    /** Runs $fn, which must throw $class with this C status and field. */
    private function thrown(string $class, int $status, ?string $field, callable $fn): DokuException
    {
        try {
            $fn();
        } catch (DokuException $e) {
            $this->assertInstanceOf($class, $e, $e->getMessage());
            $this->assertInstanceOf(DokuExceptionInterface::class, $e);
            $this->assertSame($status, $e->getCode(), $e->getMessage());
            $this->assertSame($field, $e->field, $e->getMessage());
            return $e;
        }
        $this->fail("no {$class} thrown");
    }

    // ---- key rotation -------------------------------------------------------------------

    public function testANotificationSignedWithAPreviousKeyVerifiesWithItsIndex(): void
    {
        $this->assertSame(0, Notification::verify(self::signedWith(self::NEW), self::BODY, self::PATH, self::CLIENT_ID, self::NEW)['key_index']);
        $this->assertSame(0, Notification::verify(self::signedWith(self::NEW), self::BODY, self::PATH, self::CLIENT_ID, self::NEW,
            ['previous_secret_keys' => [self::OLD]])['key_index']);
        $n = Notification::verify(self::signedWith(self::OLD), self::BODY, self::PATH, self::CLIENT_ID, self::NEW,
            ['previous_secret_keys' => [self::OLD]]);
        $this->assertSame(1, $n['key_index']);
        $this->assertSame('INV-PHP-ROT', $n['invoice_number']);
        $this->assertSame(2, Notification::verify(self::signedWith(self::OLD), self::BODY, self::PATH, self::CLIENT_ID, self::NEW,
            ['previous_secret_keys' => ['SK-between-not-real', self::OLD], 'tolerance_secs' => 400_000_000])['key_index']);
    }

    public function testNoKeyOfTheRingIsOneSignatureErrorNamingNoKey(): void
    {
        $e = $this->thrown(SignatureException::class, Status::ERR_SIGNATURE_MISMATCH, 'signature', fn () => Notification::verify(
            self::signedWith('SK-someone-else-not-real'), self::BODY, self::PATH, self::CLIENT_ID, self::NEW, ['previous_secret_keys' => [self::OLD]]));
        foreach ([self::NEW, self::OLD, 'SK-someone-else-not-real'] as $secret) {
            $this->assertStringNotContainsString($secret, $e->getMessage());
        }
        // Without the previous key, the old signature is refused.
        $this->thrown(SignatureException::class, Status::ERR_SIGNATURE_MISMATCH, 'signature',
            fn () => Notification::verify(self::signedWith(self::OLD), self::BODY, self::PATH, self::CLIENT_ID, self::NEW));
    }

    /** libdoku checks each previous key; PHP passes them as given and reports its field. */
    public function testUnusablePreviousKeysAreNamedByIndex(): void
    {
        $verify = fn (mixed $keys) => fn () => Notification::verify(self::signedWith(self::NEW), self::BODY, self::PATH,
            self::CLIENT_ID, self::NEW, ['previous_secret_keys' => $keys]);
        $e = $this->thrown(InvalidInputException::class, Status::ERR_INVALID_INPUT, 'options.previous_secret_keys[1]', $verify([self::OLD, '']));
        $this->assertStringNotContainsString(self::OLD, $e->getMessage());
        $this->thrown(InvalidInputException::class, Status::ERR_INVALID_INPUT, 'options.previous_secret_keys[1]', $verify([self::OLD, 7]));
        $this->thrown(InvalidInputException::class, Status::ERR_INVALID_INPUT, 'options.previous_secret_keys', $verify(self::OLD));
    }

    public function testAnInquirySignedWithAPreviousKeyAndItsReply(): void
    {
        $h = self::signedWith(self::OLD, self::INQUIRY_BODY, self::INQUIRY_PATH);
        $this->thrown(SignatureException::class, Status::ERR_SIGNATURE_MISMATCH, 'signature',
            fn () => Inquiry::verify($h, self::INQUIRY_BODY, self::INQUIRY_PATH, self::CLIENT_ID, self::NEW));
        $inquiry = Inquiry::verify($h, self::INQUIRY_BODY, self::INQUIRY_PATH, self::CLIENT_ID, self::NEW, ['previous_secret_keys' => [self::OLD]]);
        $this->assertSame(1, $inquiry['key_index']);
        $this->assertSame('8888800000000077', $inquiry['payment_code']);
        // The reply is signed with the current key: signing always uses the first.
        $reply = Inquiry::reply($inquiry, ['invoice_number' => 'INV-77', 'amount' => 10000, 'status' => 'success'], self::INQUIRY_PATH, self::NEW);
        $rh = $reply['headers'];
        $this->assertTrue(Signature::verifyResponse($rh['Client-Id'], $rh['Request-Id'], $rh['Response-Timestamp'],
            self::INQUIRY_PATH, $reply['body'], self::NEW, $rh['Signature']));
        $this->thrown(InvalidInputException::class, Status::ERR_INVALID_INPUT, 'options.previous_secret_keys[0]',
            fn () => Inquiry::verify($h, self::INQUIRY_BODY, self::INQUIRY_PATH, self::CLIENT_ID, self::NEW, ['previous_secret_keys' => ['']]));
    }

    /** The previous keys and the options array are hidden from stack traces, like the key. */
    public function testPreviousKeysAreSensitiveParameters(): void
    {
        foreach ([[Notification::class, 'verify'], [Notification::class, 'fromGlobals'], [Notification::class, 'fromRequest'],
            [Inquiry::class, 'verify'], [Inquiry::class, 'fromRequest'], [Testing::class, 'signedNotification']] as [$class, $method]) {
            foreach ((new \ReflectionMethod($class, $method))->getParameters() as $p) {
                if (in_array($p->getName(), ['secretKey', 'options', 'headers', 'request'], true)) {
                    $this->assertNotSame([], $p->getAttributes(\SensitiveParameter::class), "{$class}::{$method} \${$p->getName()}");
                }
            }
        }
    }

    // ---- the client: previous keys, key_index, clock skew, deadline --------------------------

    public function testResponsesReportTheirKeyAndTheSkewIsMeasured(): void
    {
        $sb = self::sandbox();
        $client = new Client(['client_id' => Sandbox::CLIENT_ID, 'secret_key' => Sandbox::SECRET_KEY, 'base_url' => $sb->url,
            'retries' => 0, 'response_signature' => 'require', 'deadline_ms' => 20_000,
            'previous_secret_keys' => [self::OLD], 'correct_clock_skew' => true]);
        $this->assertNull($client->clockSkew(), 'no answer yet: nothing measured');
        $r = $client->alfaPaymentCode(Bodies::alfa(Bodies::invoice('INV-PHP-SKEW')));
        $this->assertTrue($r['signature_verified']);
        $this->assertSame(0, $r['key_index']);
        $skew = $client->clockSkew();
        $this->assertIsInt($skew);
        $this->assertLessThanOrEqual(2, abs($skew), 'the sandbox runs on this machine\'s clock');
        $client->close();
        $this->thrown(InvalidInputException::class, Status::ERR_NULL_ARGUMENT, 'client', fn () => $client->clockSkew());
    }

    public function testARefusedTimestampIsExplainedWithTheSkew(): void
    {
        $sb = self::sandbox();
        $client = new Client(['client_id' => Sandbox::CLIENT_ID, 'secret_key' => Sandbox::SECRET_KEY, 'base_url' => $sb->url, 'retries' => 0]);
        $e = $this->thrown(ApiException::class, Status::ERR_API, 'headers.Request-Timestamp',
            fn () => $client->alfaPaymentCode(Bodies::alfa(Bodies::invoice('INV-PHP-TS')), ['timestamp' => '2020-01-01T00:00:00Z']));
        $this->assertSame(401, $e->httpStatus);
        $this->assertStringContainsString('timestamp_out_of_window', $e->getMessage());
        $this->assertStringContainsString("Your clock agrees with DOKU's", $e->getMessage());
        $this->assertIsInt($client->clockSkew(), 'measured from the refusal itself');
    }

    public function testNewConfigurationKeysAreCheckedByLibdoku(): void
    {
        $base = ['client_id' => 'MCH-X', 'secret_key' => self::NEW, 'base_url' => 'http://127.0.0.1:9'];
        $this->thrown(ConfigException::class, Status::ERR_CONFIG, 'previous_secret_keys[0]',
            fn () => new Client($base + ['previous_secret_keys' => ['']]));
        $this->thrown(ConfigException::class, Status::ERR_CONFIG, 'correct_clock_skew',
            fn () => new Client($base + ['correct_clock_skew' => 'yes']));
        $this->thrown(ConfigException::class, Status::ERR_CONFIG, 'deadline_ms',
            fn () => new Client($base + ['deadline_ms' => -1]));
        $client = new Client($base + ['previous_secret_keys' => [self::OLD], 'correct_clock_skew' => false, 'deadline_ms' => 1500]);
        $this->assertStringNotContainsString(self::OLD, print_r($client, true));
        $this->assertNull($client->clockSkew());
    }

    // ---- PSR-7 -----------------------------------------------------------------------------

    public function testFromRequestVerifiesANyholmRequest(): void
    {
        $request = self::psr7(self::signedWith(self::NEW), self::BODY);
        $n = Notification::fromRequest($request, self::PATH, self::CLIENT_ID, self::NEW);
        $this->assertSame('req-php-rot', $n['request_id']);
        $this->assertSame(0, $n['key_index']);
        // The body stream was read to its end (a middleware did so too): it is rewound.
        $this->assertSame('', $request->getBody()->getContents());
        $this->assertSame('req-php-rot', Notification::fromRequest($request, self::PATH, self::CLIENT_ID, self::NEW)['request_id']);
        $old = self::psr7(self::signedWith(self::OLD), self::BODY);
        $this->assertSame(1, Notification::fromRequest($old, self::PATH, self::CLIENT_ID, self::NEW, ['previous_secret_keys' => [self::OLD]])['key_index']);
    }

    /** The signed path is the configured one, never the request's URI (a proxy may rewrite it). */
    public function testFromRequestPinsThePathAndReadsTheRawBody(): void
    {
        $rewritten = self::psr7(self::signedWith(self::NEW), self::BODY, 'http://10.0.0.5:8080/app/index.php/payments/notifications?x=1');
        $this->assertSame('req-php-rot', Notification::fromRequest($rewritten, self::PATH, self::CLIENT_ID, self::NEW)['request_id']);
        $this->thrown(SignatureException::class, Status::ERR_SIGNATURE_MISMATCH, 'signature',
            fn () => Notification::fromRequest(self::psr7(self::signedWith(self::NEW), self::BODY), '/other/path', self::CLIENT_ID, self::NEW));
        // A parsed body is ignored: only the raw bytes count.
        $parsed = self::psr7(self::signedWith(self::NEW), self::BODY)->withParsedBody(['order' => ['amount' => 1]]);
        $this->assertSame(10000, Notification::fromRequest($parsed, self::PATH, self::CLIENT_ID, self::NEW)['amount']);
        // Re-encoded bytes do not verify.
        $reencoded = json_encode(json_decode(self::BODY, true), JSON_PRETTY_PRINT);
        $this->thrown(SignatureException::class, Status::ERR_SIGNATURE_MISMATCH, 'signature',
            fn () => Notification::fromRequest(self::psr7(self::signedWith(self::NEW), $reencoded), self::PATH, self::CLIENT_ID, self::NEW));
    }

    public function testFromRequestErrors(): void
    {
        $h = self::signedWith(self::NEW);
        unset($h['Signature']);
        $e = $this->thrown(InvalidInputException::class, Status::ERR_INVALID_INPUT, 'headers.Signature',
            fn () => Notification::fromRequest(self::psr7($h, self::BODY), self::PATH, self::CLIENT_ID, self::NEW));
        $this->assertInstanceOf(DokuExceptionInterface::class, $e);
        // A repeated signed header (a PSR-7 header with two values) is refused by libdoku.
        $twice = self::psr7(self::signedWith(self::NEW), self::BODY)->withAddedHeader('Signature', 'HMACSHA256=x');
        $e = $this->thrown(InvalidInputException::class, Status::ERR_INVALID_INPUT, $e->field,
            fn () => Notification::fromRequest($twice, self::PATH, self::CLIENT_ID, self::NEW));
        // Larger than libdoku's 1 MiB: at most 1 MiB + 1 byte is read, and libdoku refuses it.
        $big = '{"x":"' . str_repeat('a', 2 * 1024 * 1024) . '"}';
        $e = $this->thrown(InvalidInputException::class, Status::ERR_INVALID_INPUT, 'body',
            fn () => Notification::fromRequest(self::psr7(self::signedWith(self::NEW), $big), self::PATH, self::CLIENT_ID, self::NEW));
        $this->assertStringContainsString('1048577 bytes', $e->getMessage(), 'read stops one byte past the limit');
        // A stream that cannot be read is the package's exception, with the stream's as previous.
        $detached = self::psr7(self::signedWith(self::NEW), self::BODY);
        $detached->getBody()->detach();
        $this->thrown(InvalidInputException::class, Status::ERR_INVALID_INPUT, 'body',
            fn () => Notification::fromRequest($detached, self::PATH, self::CLIENT_ID, self::NEW));
        if (!in_array('doku-broken', stream_get_wrappers(), true)) {
            stream_wrapper_register('doku-broken', BrokenStream::class);
        }
        $failing = new ServerRequest('POST', '/', $h, Stream::create(fopen('doku-broken://x', 'r')));
        $e = $this->thrown(InvalidInputException::class, Status::ERR_INVALID_INPUT, 'body',
            fn () => Notification::fromRequest($failing, self::PATH, self::CLIENT_ID, self::NEW));
        $this->assertInstanceOf(\RuntimeException::class, $e->getPrevious());
    }

    public function testInquiryFromRequest(): void
    {
        $request = self::psr7(self::signedWith(self::NEW, self::INQUIRY_BODY, self::INQUIRY_PATH), self::INQUIRY_BODY);
        $inquiry = Inquiry::fromRequest($request, self::INQUIRY_PATH, self::CLIENT_ID, self::NEW);
        $this->assertSame('8888800000000077', $inquiry['payment_code']);
        $this->assertSame(0, $inquiry['key_index']);
        $old = self::psr7(self::signedWith(self::OLD, self::INQUIRY_BODY, self::INQUIRY_PATH), self::INQUIRY_BODY);
        $this->assertSame(1, Inquiry::fromRequest($old, self::INQUIRY_PATH, self::CLIENT_ID, self::NEW, ['previous_secret_keys' => [self::OLD]])['key_index']);
        $this->thrown(SignatureException::class, Status::ERR_SIGNATURE_MISMATCH, 'signature',
            fn () => Inquiry::fromRequest($old, self::INQUIRY_PATH, self::CLIENT_ID, self::NEW));
        $this->thrown(SignatureException::class, Status::ERR_SIGNATURE_MISMATCH, 'signature',
            fn () => Inquiry::fromRequest($request, self::PATH, self::CLIENT_ID, self::NEW));
        $this->thrown(InvalidInputException::class, Status::ERR_INVALID_INPUT, 'path',
            fn () => Inquiry::fromRequest($request, "/payments/inquiry\0", self::CLIENT_ID, self::NEW));
    }

    // ---- Testing::signedNotification ---------------------------------------------------------

    public function testSignedTestNotificationsVerifyInEveryChannel(): void
    {
        foreach (['alfa' => 'ONLINE_TO_OFFLINE_ALFA', 'indomaret' => 'ONLINE_TO_OFFLINE_INDOMARET', 'indodana' => null] as $channel => $channelId) {
            $t = Testing::signedNotification($channel, self::CLIENT_ID, self::NEW, status: 'FAILED', invoiceNumber: 'INV-PHP-T', amount: 7000);
            $this->assertSame(['Client-Id', 'Request-Id', 'Request-Timestamp', 'Signature', 'Content-Type'], array_keys($t['headers']), $channel);
            $this->assertIsString($t['body']);
            $n = Notification::verify($t['headers'], $t['body'], self::PATH, self::CLIENT_ID, self::NEW, ['tolerance_secs' => 60]);
            $this->assertSame('FAILED', $n['status'], $channel);
            $this->assertSame('INV-PHP-T', $n['invoice_number'], $channel);
            $this->assertSame(7000, $n['amount'], $channel);
            $this->assertSame($t['headers']['Request-Id'], $n['request_id']);
            if ($channelId !== null) {
                $this->assertSame($channelId, $n['channel_id']);
            }
            // Through PSR-7, as a merchant's test posts it to its handler.
            $viaPsr7 = Notification::fromRequest(self::psr7($t['headers'], $t['body']), self::PATH, self::CLIENT_ID, self::NEW);
            $this->assertSame($n['request_id'], $viaPsr7['request_id']);
        }
        // Defaults: SUCCESS, a fresh invoice number, 10000; the path is signed.
        $t = Testing::signedNotification('alfa', self::CLIENT_ID, self::NEW);
        $n = Notification::verify($t['headers'], $t['body'], self::PATH, self::CLIENT_ID, self::NEW);
        $this->assertSame('SUCCESS', $n['status']);
        $this->assertStringStartsWith('INV-TEST-', $n['invoice_number']);
        $this->assertSame(10000, $n['amount']);
        $other = Testing::signedNotification('indomaret', self::CLIENT_ID, self::OLD, path: '/hooks/doku');
        $this->assertSame(1, Notification::verify($other['headers'], $other['body'], '/hooks/doku', self::CLIENT_ID, self::NEW,
            ['previous_secret_keys' => [self::OLD]])['key_index']);
        $this->thrown(SignatureException::class, Status::ERR_SIGNATURE_MISMATCH, 'signature',
            fn () => Notification::verify($other['headers'], $other['body'], self::PATH, self::CLIENT_ID, self::OLD));
    }

    public function testSignedTestNotificationErrors(): void
    {
        $this->thrown(InvalidInputException::class, Status::ERR_INVALID_INPUT, 'channel',
            fn () => Testing::signedNotification('ovo', self::CLIENT_ID, self::NEW));
        $this->thrown(InvalidInputException::class, Status::ERR_INVALID_INPUT, 'status',
            fn () => Testing::signedNotification('alfa', self::CLIENT_ID, self::NEW, status: 'PAID'));
        $e = $this->thrown(InvalidInputException::class, Status::ERR_INVALID_INPUT, 'secret_key',
            fn () => Testing::signedNotification('alfa', self::CLIENT_ID, "SK\0" . self::NEW));
        $this->assertStringNotContainsString(self::NEW, $e->getMessage());
        $this->thrown(InvalidInputException::class, Status::ERR_INVALID_INPUT, 'client_id',
            fn () => Testing::signedNotification('alfa', '', self::NEW));
    }

    // ---- the exception marker ----------------------------------------------------------------

    public function testEveryPackageExceptionImplementsTheMarker(): void
    {
        foreach (glob(dirname(__DIR__) . '/src/Exception/*.php') as $file) {
            $class = 'Doku\\Direct\\Exception\\' . basename($file, '.php');
            if ($class === DokuExceptionInterface::class) {
                $this->assertTrue(interface_exists($class));
                $this->assertTrue(is_subclass_of($class, \Throwable::class));
                continue;
            }
            $this->assertTrue(is_subclass_of($class, DokuExceptionInterface::class), $class);
            $this->assertTrue(is_subclass_of($class, \RuntimeException::class) || $class === DokuException::class, $class);
        }
        try {
            Signature::sign('', 'R', '2020-08-11T08:45:42Z', '/x', null, 'SK');
            $this->fail('signed with an empty client id');
        } catch (DokuExceptionInterface $e) {
            $this->assertSame('client_id', $e->getField());
            $this->assertSame('invalid_input', $e->getKind());
        }
    }
}

/** A stream wrapper whose reads fail, as a connection reset does mid-body. */
final class BrokenStream
{
    /** @var resource|null */
    public $context;

    public function stream_open(string $path, string $mode, int $options, ?string &$opened): bool
    {
        return true;
    }

    public function stream_read(int $count): string|false
    {
        return false;
    }

    public function stream_eof(): bool
    {
        return false;
    }

    public function stream_seek(int $offset, int $whence): bool
    {
        return false;
    }

    public function stream_tell(): int
    {
        return 0;
    }

    /** @return array<string, int> */
    public function stream_stat(): array
    {
        return [];
    }
}
