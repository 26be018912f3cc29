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
use Doku\Direct\Inquiry;
use Doku\Direct\Notification;
use Doku\Direct\Signature;
use Doku\Direct\Status;
use Doku\Direct\Tests\Support\Bodies;
use Doku\Direct\Tests\Support\Sandbox;
use PHPUnit\Framework\TestCase;

/**
 * One error contract: every exception the package throws, from libdoku or from the PHP
 * layer, is a DokuException whose getCode() is its C status (never Status::OK) and whose
 * `field` names the argument at fault. Inputs that must be refused locally are sent to a
 * client whose base URL has nothing listening: had anything been sent, the error would be
 * a TransportException.
 *
 * @group memcheck
 */
final class ErrorContractTest extends TestCase
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

    private static function client(): Client
    {
        return new Client(['client_id' => Sandbox::CLIENT_ID, 'secret_key' => Sandbox::SECRET_KEY, 'base_url' => self::$sandbox->url]);
    }

    /** A client that can send nothing: a port where nothing listens, no retries. */
    private static function unreachable(): Client
    {
        $port = Sandbox::freePort();
        return new Client(['client_id' => 'C', 'secret_key' => 'S', 'base_url' => "http://127.0.0.1:{$port}",
            'connect_timeout_ms' => 2000, 'retries' => 0]);
    }

    /**
     * @template T of DokuException
     * @param class-string<T> $class
     * @return T
     */
    private function refused(string $class, int $status, ?string $field, callable $fn, string $what = ''): DokuException
    {
        try {
            $fn();
        } catch (DokuException $e) {
            $this->assertInstanceOf($class, $e, "{$what}: " . get_class($e) . ': ' . $e->getMessage());
            $this->assertSame($status, $e->getCode(), "{$what}: " . $e->getMessage());
            $this->assertSame($field, $e->field, "{$what}: " . $e->getMessage());
            return $e;
        }
        $this->fail("{$what}: no {$class}");
    }

    public function testEveryClassCarriesItsStatusByDefault(): void
    {
        $want = [
            InvalidInputException::class => Status::ERR_INVALID_INPUT,
            ValidationException::class => Status::ERR_VALIDATION,
            ConfigException::class => Status::ERR_CONFIG,
            SignatureException::class => Status::ERR_SIGNATURE_MISMATCH,
            ApiException::class => Status::ERR_API,
            TimeoutException::class => Status::ERR_TIMEOUT,
            TransportException::class => Status::ERR_TRANSPORT,
            DecodeException::class => Status::ERR_DECODE,
            PanicException::class => Status::ERR_PANIC,
            DokuException::class => Status::ERR_PANIC,
        ];
        foreach ($want as $class => $status) {
            $this->assertSame($status, (new $class('m'))->getCode(), $class);
            $this->assertSame($status, $class::STATUS, $class);
        }
        // libdoku's status wins over the class default (102: invalid UTF-8 is invalid_input).
        $this->assertSame(Status::ERR_INVALID_UTF8, DokuException::fromError(102, ['kind' => 'invalid_input'])->getCode());
    }

    public function testPhpSideRefusalsCarryInvalidInput(): void
    {
        $this->refused(InvalidInputException::class, Status::ERR_INVALID_INPUT, 'client_id',
            fn () => Signature::sign("C\0x", 'R', '2020-08-11T08:45:42Z', '/x', null, 'SK'), 'NUL');
        $this->refused(InvalidInputException::class, Status::ERR_INVALID_INPUT, 'secret_key',
            fn () => Signature::verify('C', 'R', '2020-08-11T08:45:42Z', '/x', null, "SK\0", 'HMACSHA256=x'), 'NUL in secret');
        $this->refused(InvalidInputException::class, Status::ERR_INVALID_INPUT, 'signature',
            fn () => Signature::verify('C', 'R', '2020-08-11T08:45:42Z', '/x', null, 'SK', "HMACSHA256=\0"), 'NUL in signature');
        $this->refused(InvalidInputException::class, Status::ERR_INVALID_INPUT, 'request',
            fn () => Client::validate('alfa_payment_code', ['customer' => ['name' => "bad \xC3("]]), 'invalid UTF-8');
        $this->refused(InvalidInputException::class, Status::ERR_INVALID_INPUT, 'request',
            fn () => Client::validate('alfa_payment_code', ['order' => ['amount' => INF]]), 'INF');
        $this->refused(InvalidInputException::class, Status::ERR_INVALID_INPUT, 'options',
            fn () => self::unreachable()->checkStatus('INV-1', ['request_id' => "r\xff\xfe"]), 'options not UTF-8');
        $deep = [];
        for ($i = 0; $i < 600; $i++) {
            $deep = [$deep];
        }
        $this->refused(InvalidInputException::class, Status::ERR_INVALID_INPUT, 'request',
            fn () => Client::validate('alfa_payment_code', ['x' => $deep]), 'too deep');
        $self = ['a' => 1];
        $self['me'] = &$self;
        $this->refused(InvalidInputException::class, Status::ERR_INVALID_INPUT, 'request',
            fn () => Client::validate('alfa_payment_code', $self), 'recursive array');
    }

    /** Runs PHP without a usable libdoku; returns "class|code|message" of what it threw. */
    private static function loadFailure(string $ffiEnable, string $library): string
    {
        $code = 'require ' . var_export(dirname(__DIR__) . '/autoload.php', true) . ';'
            . 'try { Doku\Direct\Signature::sign("C", "R", "2020-08-11T08:45:42Z", "/x", null, "SK"); }'
            . ' catch (Doku\Direct\Exception\DokuException $e) { echo get_class($e), "|", $e->getCode(), "|", $e->getMessage(); }';
        $env = ['DOKU_LIBRARY' => $library, 'PATH' => (string) getenv('PATH')];
        $p = proc_open([PHP_BINARY, '-d', "ffi.enable={$ffiEnable}", '-r', $code], [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, null, $env);
        $out = (string) stream_get_contents($pipes[1]) . (string) stream_get_contents($pipes[2]);
        proc_close($p);
        return $out;
    }

    public function testALibraryThatCannotLoadIsAConfigErrorWithItsCode(): void
    {
        $this->assertStringStartsWith('Doku\Direct\Exception\ConfigException|104|', self::loadFailure('1', '/nonexistent/libdoku.so'));
        $this->assertStringStartsWith('Doku\Direct\Exception\ConfigException|104|', self::loadFailure('0', (string) getenv('DOKU_LIBRARY')));
        // A file that is not a shared library.
        $this->assertStringStartsWith('Doku\Direct\Exception\ConfigException|104|', self::loadFailure('1', __FILE__));
    }

    /** @return array<string, array{0: mixed}> */
    public static function badHeaderValues(): array
    {
        return [
            'object' => [new \stdClass()],
            'Stringable object' => [new class {
                public function __toString(): string
                {
                    return 'HMACSHA256=x';
                }
            }],
            'array inside a list' => [[['HMACSHA256=x']]],
            'resource' => [STDERR],
            'int' => [42],
            'null' => [null],
            'bool' => [true],
        ];
    }

    /** @dataProvider badHeaderValues */
    public function testNonStringHeaderValuesAreRefusedNamingTheHeader(mixed $value): void
    {
        $headers = ['Client-Id' => 'C', 'Request-Id' => 'R', 'Request-Timestamp' => '2020-08-11T08:45:42Z', 'Signature' => $value];
        $this->refused(InvalidInputException::class, Status::ERR_INVALID_INPUT, 'headers.Signature',
            fn () => Notification::verify($headers, '{}', '/n', 'C', 'S'), 'notification');
        $this->refused(InvalidInputException::class, Status::ERR_INVALID_INPUT, 'headers.Signature',
            fn () => Inquiry::verify($headers, '{}', '/n', 'C', 'S'), 'inquiry');
        // The same as a [name, value] pair.
        $this->refused(InvalidInputException::class, Status::ERR_INVALID_INPUT, 'headers.Signature',
            fn () => Notification::verify([['Client-Id', 'C'], ['Signature', $value]], '{}', '/n', 'C', 'S'), 'pair');
    }

    public function testMalformedHeaderListsAreRefused(): void
    {
        foreach (['a bare string' => ['Signature: x'], 'a triple' => [['Signature', 'x', 'y']], 'a non-string name' => [[1, 'x']]] as $what => $headers) {
            $this->refused(InvalidInputException::class, Status::ERR_INVALID_INPUT, 'headers',
                fn () => Notification::verify($headers, '{}', '/n', 'C', 'S'), $what);
        }
    }

    public function testArgumentsOverOneMebibyteAreNamedByTheArgument(): void
    {
        $big = str_repeat('a', (1 << 20) + 1);
        $headers = ['Client-Id' => 'C', 'Request-Id' => 'R', 'Request-Timestamp' => '2020-08-11T08:45:42Z', 'Signature' => 'x', 'X-Big' => $big];
        $this->refused(InvalidInputException::class, Status::ERR_INVALID_INPUT, 'headers',
            fn () => Notification::verify($headers, '{}', '/n', 'C', 'S'), 'notification headers');
        $this->refused(InvalidInputException::class, Status::ERR_INVALID_INPUT, 'headers',
            fn () => Inquiry::verify($headers, '{}', '/n', 'C', 'S'), 'inquiry headers');
        $this->refused(InvalidInputException::class, Status::ERR_INVALID_INPUT, 'options',
            fn () => Notification::verify(['Signature' => 'x'], '{}', '/n', 'C', 'S', ['tolerance_secs' => $big]), 'notification options');
        $this->refused(InvalidInputException::class, Status::ERR_INVALID_INPUT, 'options',
            fn () => self::unreachable()->checkStatus('INV-1', ['request_id' => $big]), 'client options');
        // A body is still named body (README: every body over 1 MiB is).
        $this->refused(InvalidInputException::class, Status::ERR_INVALID_INPUT, 'body',
            fn () => self::unreachable()->request('POST', '/x', '"' . $big . '"'), 'request body');
    }

    public function testAnOverlongCheckStatusIdIsALocalInputError(): void
    {
        $client = self::unreachable();
        foreach ([10 << 20, 129] as $n) {
            $this->refused(InvalidInputException::class, Status::ERR_INVALID_INPUT, 'id',
                fn () => $client->checkStatus(str_repeat('I', $n)), "checkStatus {$n}");
        }
        $this->refused(InvalidInputException::class, Status::ERR_INVALID_INPUT, 'id',
            fn () => $client->call('check_status', ['id' => str_repeat('I', 129)]), 'call 129');
        // As a request, a 10 MB id is first a request over the 1 MiB body limit.
        $this->refused(InvalidInputException::class, Status::ERR_INVALID_INPUT, 'body',
            fn () => $client->call('check_status', ['id' => str_repeat('I', 10 << 20)]), 'call 10 MB');
        $this->refused(InvalidInputException::class, Status::ERR_INVALID_INPUT, 'id',
            fn () => Client::validate('check_status', ['id' => str_repeat('é', 129)]), 'validate 129 characters');
        $this->refused(InvalidInputException::class, Status::ERR_INVALID_INPUT, 'id', fn () => $client->checkStatus(''), 'empty');
        // 128 characters is an id DOKU may know: it is sent, and the sandbox answers 404.
        $e = $this->refused(ApiException::class, Status::ERR_API, null,
            fn () => self::client()->checkStatus(str_repeat('I', 128)), '128 characters');
        $this->assertSame(404, $e->httpStatus);
    }

    public function testSignRefusesATimestampTheClientRefuses(): void
    {
        foreach (['not-a-time', '2020-08-11T08:45:42.000Z', '2020-08-11 08:45:42Z', '2020-08-11T15:45:42+07:00'] as $ts) {
            $this->refused(InvalidInputException::class, Status::ERR_INVALID_INPUT, 'timestamp',
                fn () => Signature::sign('C', 'R', $ts, '/x', null, 'SK'), "sign {$ts}");
            $this->refused(InvalidInputException::class, Status::ERR_INVALID_INPUT, 'response_timestamp',
                fn () => Signature::signResponse('C', 'R', $ts, '/x', '{}', 'SK'), "signResponse {$ts}");
            $this->refused(InvalidInputException::class, Status::ERR_INVALID_INPUT, 'timestamp',
                fn () => self::unreachable()->checkStatus('INV-1', ['timestamp' => $ts]), "client {$ts}");
            // Verification judges a received timestamp by the signature alone.
            $this->assertFalse(Signature::verify('C', 'R', $ts, '/x', null, 'SK', 'HMACSHA256=AAAA'));
        }
        $this->assertStringStartsWith('HMACSHA256=', Signature::sign('C', 'R', '2020-08-11T08:45:42Z', '/x', null, 'SK'));
    }

    /** @return array<string, array{0: mixed}> */
    public static function nonArrayBodies(): array
    {
        $gen = (static function () {
            yield 'order' => ['invoice_number' => 'INV-1'];
        })();
        return [
            'Closure' => [static fn () => ['a' => 1]],
            'Generator' => [$gen],
            'stdClass' => [(object) ['a' => 1]],
            'ArrayObject' => [new \ArrayObject(['a' => 1])],
            'JsonSerializable' => [new class implements \JsonSerializable {
                public function jsonSerialize(): mixed
                {
                    return ['a' => 1];
                }
            }],
            'int' => [42],
            'float' => [1.5],
            'bool' => [false],
        ];
    }

    /** @dataProvider nonArrayBodies */
    public function testRequestBodiesAreArraysOrJsonStrings(mixed $body): void
    {
        $e = $this->refused(InvalidInputException::class, Status::ERR_INVALID_INPUT, 'body',
            fn () => self::unreachable()->request('POST', '/x', $body), 'request');
        $this->assertStringContainsString('must be an array or a string of JSON', $e->getMessage());
    }

    public function testObjectsWithoutAJsonFormAreRefusedInsideRequests(): void
    {
        $client = self::unreachable();
        $body = Bodies::alfa('INV-1');
        $body['customer']['callback'] = static fn () => 1;
        $e = $this->refused(InvalidInputException::class, Status::ERR_INVALID_INPUT, 'request',
            fn () => $client->alfaPaymentCode($body), 'Closure inside');
        $this->assertStringContainsString('request.customer.callback is Closure', $e->getMessage());
        $body = Bodies::indodana('INV-1');
        $body['order']['line_items'][0]['when'] = new \DateTimeImmutable('2020-01-01');
        $e = $this->refused(InvalidInputException::class, Status::ERR_INVALID_INPUT, 'request',
            fn () => $client->indodanaGenerateOrder($body), 'DateTime inside');
        $this->assertStringContainsString('request.order.line_items[0].when is DateTimeImmutable', $e->getMessage());
        $this->refused(InvalidInputException::class, Status::ERR_INVALID_INPUT, 'config',
            fn () => new Client(['client_id' => 'C', 'secret_key' => 'S', 'environment' => 'sandbox', 'paths' => new \ArrayObject()]), 'config');
        $this->refused(InvalidInputException::class, Status::ERR_INVALID_INPUT, 'options',
            fn () => $client->checkStatus('INV-1', ['request_id' => new \SplStack()]), 'options');

        // Data objects are data: \stdClass, \JsonSerializable and backed enums inside a request.
        $amount = new class implements \JsonSerializable {
            public function jsonSerialize(): mixed
            {
                return 150000;
            }
        };
        $body = Bodies::alfa('INV-1');
        $body['order']['amount'] = $amount;
        $body['additional_info'] = new \stdClass();
        Client::validate('alfa_payment_code', $body);
        $this->addToAssertionCount(1);
    }

    public function testControlCharactersInTextFieldsAreValidationErrors(): void
    {
        $client = self::client();
        $cases = [
            ['order', 'invoice_number', "INV\0-1"],
            ['customer', 'name', "Taufik\nIsmail"],
            ['customer', 'name', "Taufik\x7fIsmail"],
            ['online_to_offline_info', 'info', "Thanks\tagain"],
        ];
        foreach ($cases as [$parent, $key, $value]) {
            $body = Bodies::alfa(Bodies::invoice());
            $body[$parent][$key] = $value;
            $e = $this->refused(ValidationException::class, Status::ERR_VALIDATION, "{$parent}.{$key}",
                fn () => $client->alfaPaymentCode($body), json_encode($value));
            $this->assertStringContainsString('control character', $e->getMessage());
        }
        // The sandbox applies the same core rule to what it receives: a request sent without
        // local validation is refused there too (400, naming the field).
        $body = Bodies::alfa(Bodies::invoice());
        $body['customer']['name'] = "Taufik\0Ismail";
        $e = $this->refused(ApiException::class, Status::ERR_API, 'customer.name',
            fn () => $client->request('POST', '/alfa-online-to-offline/v2/payment-code', $body), 'sandbox');
        $this->assertSame(400, $e->httpStatus);
    }
}
