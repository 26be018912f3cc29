<?php

declare(strict_types=1);

namespace Doku\Direct\Tests;

use Doku\Direct\Client;
use Doku\Direct\Exception\ApiException;
use Doku\Direct\Exception\ConfigException;
use Doku\Direct\Exception\DecodeException;
use Doku\Direct\Exception\DokuException;
use Doku\Direct\Exception\InvalidInputException;
use Doku\Direct\Exception\PanicException;
use Doku\Direct\Exception\SignatureException;
use Doku\Direct\Exception\TimeoutException;
use Doku\Direct\Exception\TransportException;
use Doku\Direct\Exception\ValidationException;
use Doku\Direct\Notification;
use Doku\Direct\Signature;
use Doku\Direct\Status;
use Doku\Direct\Tests\Support\Bodies;
use Doku\Direct\Tests\Support\Sandbox;
use PHPUnit\Framework\TestCase;

/**
 * Every exception type, each from a real trigger (PanicException has none: libdoku has no
 * panic to provoke, so its mapping is checked from last-error JSON), with the fields of
 * libdoku's last-error JSON.
 *
 * @group memcheck
 */
final class ExceptionsTest extends TestCase
{
    private static Sandbox $sandbox;

    public static function setUpBeforeClass(): void
    {
        self::$sandbox = new Sandbox();
    }

    public static function tearDownAfterClass(): void
    {
        self::$sandbox->stop();
    }

    private static function client(array $extra = []): Client
    {
        return new Client($extra + [
            'client_id' => Sandbox::CLIENT_ID,
            'secret_key' => Sandbox::SECRET_KEY,
            'base_url' => self::$sandbox->url,
        ]);
    }

    /**
     * Runs $fn, which must throw $class; checks kind and status code and returns it.
     *
     * @template T of DokuException
     * @param class-string<T> $class
     * @return T
     */
    private function expectThrown(string $class, string $kind, int $status, callable $fn): DokuException
    {
        try {
            $fn();
        } catch (DokuException $e) {
            $this->assertInstanceOf($class, $e, $e->getMessage());
            $this->assertSame($kind, $e->kind);
            $this->assertSame($kind, $e->getKind());
            $this->assertSame($status, $e->getCode());
            $this->assertNotSame('', $e->getMessage());
            return $e;
        }
        $this->fail("no {$class} thrown");
    }

    public function testInvalidInput(): void
    {
        $e = $this->expectThrown(InvalidInputException::class, 'invalid_input', Status::ERR_INVALID_INPUT,
            fn () => Signature::sign('', 'R', '2020-08-11T08:45:42Z', '/x', null, 'SK'));
        $this->assertSame('client_id', $e->field);
        $this->assertNull($e->httpStatus);
        $this->assertNull($e->requestId);
        $this->assertNull($e->body);

        $e = $this->expectThrown(InvalidInputException::class, 'invalid_input', Status::ERR_INVALID_UTF8,
            fn () => Signature::sign('C', "R\xff", '2020-08-11T08:45:42Z', '/x', null, 'SK'));
        $this->assertSame('request_id', $e->field);

        $e = $this->expectThrown(InvalidInputException::class, 'invalid_input', Status::ERR_INVALID_INPUT,
            fn () => Signature::sign('C', 'R', '2020-08-11T08:45:42Z', '/x', str_repeat('a', (1 << 20) + 1), 'SK'));
        $this->assertSame('body', $e->field);

        $e = $this->expectThrown(InvalidInputException::class, 'invalid_input', Status::ERR_INVALID_INPUT,
            fn () => Signature::sign('C', 'R', "2020-08-11T08:45:42Z\nDigest:x", '/x', null, 'SK'));
        $this->assertSame('timestamp', $e->field);

        // Raw JSON that is not JSON: libdoku names line and column.
        $e = $this->expectThrown(InvalidInputException::class, 'invalid_input', Status::ERR_INVALID_INPUT,
            fn () => Client::validate('alfa_payment_code', "{\"order\": {\"amount\": 1,}\n}"));
        $this->assertMatchesRegularExpression('~line 1~', $e->getMessage());
    }

    public function testNulBytesAreRefusedBeforeReachingC(): void
    {
        // C would see "C" and sign a component the caller did not mean.
        $e = $this->expectThrown(InvalidInputException::class, 'invalid_input', Status::ERR_INVALID_INPUT,
            fn () => Signature::sign("C\0evil", 'R', '2020-08-11T08:45:42Z', '/x', null, 'SK'));
        $this->assertSame('client_id', $e->field);
        $e = $this->expectThrown(InvalidInputException::class, 'invalid_input', Status::ERR_INVALID_INPUT,
            fn () => self::client()->checkStatus("INV-1\0/../x"));
        $this->assertSame('id', $e->field);
        $e = $this->expectThrown(InvalidInputException::class, 'invalid_input', Status::ERR_INVALID_INPUT,
            fn () => Notification::verify([], '{}', "/n\0", 'C', 'S'));
        $this->assertSame('path', $e->field);
    }

    public function testUnencodableArraysAreInvalidInput(): void
    {
        $e = $this->expectThrown(InvalidInputException::class, 'invalid_input', Status::ERR_INVALID_INPUT,
            fn () => Client::validate('alfa_payment_code', ['customer' => ['name' => "bad \xC3("]]));
        $this->assertSame('request', $e->field);
    }

    public function testValidation(): void
    {
        $body = Bodies::alfa(Bodies::invoice());
        $body['order']['amount'] = 0;
        $before = count(self::$sandbox->notifications());
        $e = $this->expectThrown(ValidationException::class, 'validation', Status::ERR_VALIDATION,
            fn () => self::client()->alfaPaymentCode($body));
        $this->assertSame('order.amount', $e->field);
        $this->assertSame('order.amount', $e->getField());
        $this->assertNull($e->httpStatus);
        $this->assertFalse($e->outcomeUnknown(), 'nothing was sent');
        $this->assertSame($before, count(self::$sandbox->notifications()));
    }

    public function testConfig(): void
    {
        $e = $this->expectThrown(ConfigException::class, 'config', Status::ERR_CONFIG,
            fn () => new Client(['client_id' => 'C', 'secret_key' => 'S', 'environment' => 'sandbox', 'retries' => 'three']));
        $this->assertSame('retries', $e->field);
        $e = $this->expectThrown(ConfigException::class, 'config', Status::ERR_CONFIG,
            fn () => new Client(['client_id' => 'C', 'secret_key' => 'S', 'base_url' => self::$sandbox->url, 'colour' => 'blue']));
        $this->assertSame('colour', $e->field);
        $this->expectThrown(ConfigException::class, 'config', Status::ERR_CONFIG, fn () => new Client([]));
    }

    /** Runs Library::version() in a fresh PHP; returns "class|kind|message" of its ConfigException. */
    private static function configErrorOf(string $ffiEnable, string $library): string
    {
        $code = 'require ' . var_export(dirname(__DIR__) . '/autoload.php', true) . ';'
            . 'try { Doku\Direct\Library::version(); } catch (Doku\Direct\Exception\ConfigException $e) {'
            . ' echo get_class($e), "|", $e->kind, "|", $e->getMessage(); }';
        $env = ['DOKU_LIBRARY' => $library, 'PATH' => (string) getenv('PATH')];
        $p = proc_open([PHP_BINARY, '-d', "ffi.enable={$ffiEnable}", '-r', $code], [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, null, $env);
        $out = (string) stream_get_contents($pipes[1]);
        $err = (string) stream_get_contents($pipes[2]);
        proc_close($p);
        return $out . $err;
    }

    public function testConfigWhenTheLibraryCannotBeLoaded(): void
    {
        $out = self::configErrorOf('1', '/nonexistent/libdoku.so');
        $this->assertStringStartsWith('Doku\Direct\Exception\ConfigException|config|', $out);
        $this->assertStringContainsString('/nonexistent/libdoku.so', $out);
        $this->assertStringContainsString('DOKU_LIBRARY', $out);

        // FFI switched off: the message says which php.ini setting to use.
        $out = self::configErrorOf('0', (string) getenv('DOKU_LIBRARY'));
        $this->assertStringStartsWith('Doku\Direct\Exception\ConfigException|config|', $out);
        $this->assertStringContainsString('ffi.enable', $out);
    }

    public function testSignatureMismatchOnANotification(): void
    {
        $body = '{"order":{"invoice_number":"INV-1","amount":150000},"transaction":{"status":"SUCCESS"}}';
        $ts = gmdate('Y-m-d\TH:i:s\Z');
        $headers = [
            'Client-Id' => 'MCH-1',
            'Request-Id' => 'n-1',
            'Request-Timestamp' => $ts,
            'Signature' => Signature::sign('MCH-1', 'n-1', $ts, '/notify', $body, 'SK-1'),
        ];
        $this->assertSame('INV-1', Notification::verify($headers, $body, '/notify', 'MCH-1', 'SK-1')['invoice_number']);
        $tampered = str_replace('150000', '1500000', $body);
        $e = $this->expectThrown(SignatureException::class, 'signature_mismatch', Status::ERR_SIGNATURE_MISMATCH,
            fn () => Notification::verify($headers, $tampered, '/notify', 'MCH-1', 'SK-1'));
        $this->assertStringNotContainsString('SK-1', $e->getMessage());
        $this->assertStringNotContainsString($headers['Signature'], $e->getMessage());
        $this->expectThrown(SignatureException::class, 'signature_mismatch', Status::ERR_SIGNATURE_MISMATCH,
            fn () => Notification::verify($headers, $body, '/other-path', 'MCH-1', 'SK-1'));
    }

    public function testApiErrorsCarryStatusRequestIdAndBody(): void
    {
        $client = self::client();
        $invoice = Bodies::invoice();
        $client->alfaPaymentCode(Bodies::alfa($invoice));
        $e = $this->expectThrown(ApiException::class, 'api', Status::ERR_API,
            fn () => $client->alfaPaymentCode(Bodies::alfa($invoice), ['request_id' => "dup-{$invoice}"]));
        $this->assertSame(400, $e->httpStatus);
        $this->assertSame(400, $e->getStatus());
        $this->assertSame("dup-{$invoice}", $e->requestId);
        $this->assertSame('duplicate_invoice_number', $e->errorBody()['error']['code']);
        $this->assertSame($e->body, $e->getBody());
        $this->assertFalse($e->outcomeUnknown(), "DOKU's answer is the outcome");

        // A wrong secret: the sandbox answers 401.
        $e = $this->expectThrown(ApiException::class, 'api', Status::ERR_API,
            fn () => self::client(['secret_key' => 'SK-wrong'])->checkStatus($invoice));
        $this->assertSame(401, $e->httpStatus);
        $this->assertIsArray($e->errorBody());
    }

    public function testTimeoutMeansOutcomeUnknown(): void
    {
        // A server that accepts connections (in the kernel's backlog) and never answers.
        $server = stream_socket_server('tcp://127.0.0.1:0', $errno, $errstr);
        $this->assertNotFalse($server, $errstr);
        try {
            $url = 'http://' . stream_socket_get_name($server, false);
            $client = new Client(['client_id' => 'C', 'secret_key' => 'S', 'base_url' => $url,
                'timeout_ms' => 300, 'connect_timeout_ms' => 300, 'retries' => 0]);
            // The server never answers, so only the client's own timeout ends the call; the
            // message names the configured limit, which shows it was the one applied.
            $e = $this->expectThrown(TimeoutException::class, 'timeout', Status::ERR_TIMEOUT,
                fn () => $client->alfaPaymentCode(Bodies::alfa('INV-T-1'), ['request_id' => 'timeout-1']));
            $this->assertTrue($e->outcomeUnknown());
            $this->assertStringContainsString('300 ms', $e->getMessage());
            $this->assertStringContainsStringIgnoringCase('unknown', $e->getMessage());
            $this->assertSame('timeout-1', $e->requestId);
        } finally {
            fclose($server);
        }
    }

    public function testTransport(): void
    {
        $port = Sandbox::freePort();
        $client = new Client(['client_id' => 'C', 'secret_key' => 'S', 'base_url' => "http://127.0.0.1:{$port}",
            'connect_timeout_ms' => 1000, 'retries' => 0]);
        $e = $this->expectThrown(TransportException::class, 'transport', Status::ERR_TRANSPORT,
            fn () => $client->checkStatus('INV-1'));
        $this->assertFalse($e->outcomeUnknown(), 'nothing listens: the connection was refused');
    }

    public function testOutcomeUnknownFollowsTheKindLibdokuReports(): void
    {
        // Only the core's `timeout` kind means "unknown", whatever class carries it.
        foreach (['invalid_input', 'validation', 'signature_mismatch', 'api', 'timeout', 'transport',
            'decode', 'config', 'panic', 'some_future_kind'] as $kind) {
            $e = DokuException::fromError(1, ['kind' => $kind, 'message' => 'm']);
            $this->assertSame($kind === 'timeout', $e->outcomeUnknown(), $kind);
        }
        $this->assertFalse((new DokuException('m'))->outcomeUnknown());
        $this->assertTrue((new TimeoutException('m'))->outcomeUnknown());
    }

    public function testDecode(): void
    {
        // A 200 answer that is not JSON: the sandbox's how-to-pay page is HTML.
        $client = self::client();
        $r = $client->alfaPaymentCode(Bodies::alfa(Bodies::invoice()));
        $path = (string) parse_url($r['body']['online_to_offline_info']['how_to_pay_page'], PHP_URL_PATH);
        $this->expectThrown(DecodeException::class, 'decode', Status::ERR_DECODE,
            fn () => $client->request('GET', $path));
    }

    public function testPanicAndUnknownKindsMapFromLastErrorJson(): void
    {
        $error = ['kind' => 'panic', 'message' => 'internal error', 'field' => null,
            'http_status' => null, 'request_id' => null, 'body' => null];
        $e = DokuException::fromError(Status::ERR_PANIC, $error);
        $this->assertInstanceOf(PanicException::class, $e);
        $this->assertSame('panic', $e->kind);
        $this->assertSame(Status::ERR_PANIC, $e->getCode());

        $e = DokuException::fromError(999, ['kind' => 'some_future_kind', 'message' => 'm']);
        $this->assertSame(DokuException::class, get_class($e));
        $this->assertSame('some_future_kind', $e->kind);

        $e = DokuException::fromError(300, ['kind' => 'api', 'message' => 'm', 'http_status' => 502,
            'request_id' => 'r', 'body' => 'b', 'field' => null]);
        $this->assertInstanceOf(ApiException::class, $e);
        $this->assertSame([502, 'r', 'b'], [$e->httpStatus, $e->requestId, $e->body]);
    }

    public function testEveryExceptionIsADokuExceptionAndARuntimeException(): void
    {
        foreach ([InvalidInputException::class, ValidationException::class, SignatureException::class,
            ApiException::class, TimeoutException::class, TransportException::class, ConfigException::class,
            DecodeException::class, PanicException::class] as $class) {
            $this->assertTrue(is_subclass_of($class, DokuException::class), $class);
            $this->assertTrue(is_subclass_of($class, \RuntimeException::class), $class);
            $this->assertSame($class, get_class(DokuException::fromError(1, ['kind' => $class::KIND])));
        }
    }
}
