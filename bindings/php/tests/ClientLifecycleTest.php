<?php

declare(strict_types=1);

namespace Doku\Direct\Tests;

use Doku\Direct\Client;
use Doku\Direct\Exception\InvalidInputException;
use Doku\Direct\Status;
use Doku\Direct\Tests\Support\Bodies;
use Doku\Direct\Tests\Support\Sandbox;
use PHPUnit\Framework\TestCase;

/**
 * No PHP code can crash the process through a Client: the native handle is freed exactly
 * once whatever the caller does (close() twice, an explicit __destruct(), clone, a second
 * __construct, (un)serialize), and every later use is the package's exception. The risky
 * sequences also run in a child PHP, whose exit status shows a crash (139 is SIGSEGV) that
 * would otherwise take PHPUnit down with it. `make php-memcheck` runs this class under
 * valgrind, which reports a double free or a use after free even when it does not crash.
 *
 * @group memcheck
 */
final class ClientLifecycleTest extends TestCase
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

    /** @return array<string, string> */
    private static function config(): array
    {
        return ['client_id' => Sandbox::CLIENT_ID, 'secret_key' => Sandbox::SECRET_KEY, 'base_url' => self::$sandbox->url];
    }

    /** Runs $fn, which must throw InvalidInputException naming `client` with code $status. */
    private function assertRefused(int $status, callable $fn, string $what): InvalidInputException
    {
        try {
            $fn();
        } catch (InvalidInputException $e) {
            $this->assertSame('client', $e->field, "{$what}: " . $e->getMessage());
            $this->assertSame($status, $e->getCode(), $what);
            $this->assertSame('invalid_input', $e->kind, $what);
            return $e;
        }
        $this->fail("{$what}: no InvalidInputException");
    }

    /** @return array<string, callable(Client): mixed> every method that uses the handle */
    private static function calls(): array
    {
        return [
            'alfaPaymentCode' => fn (Client $c) => $c->alfaPaymentCode(Bodies::alfa(Bodies::invoice())),
            'indomaretPaymentCode' => fn (Client $c) => $c->indomaretPaymentCode(Bodies::indomaret(Bodies::invoice())),
            'indodanaGenerateOrder' => fn (Client $c) => $c->indodanaGenerateOrder(Bodies::indodana(Bodies::invoice())),
            'checkStatus' => fn (Client $c) => $c->checkStatus('INV-1'),
            'call' => fn (Client $c) => $c->call('check_status', ['id' => 'INV-1']),
            'request' => fn (Client $c) => $c->request('GET', '/orders/v1/status/INV-1'),
        ];
    }

    public function testCloseIsIdempotentAndEveryLaterUseIsThePackageException(): void
    {
        $client = new Client(self::config());
        $this->assertFalse($client->isClosed());
        $invoice = Bodies::invoice();
        $client->alfaPaymentCode(Bodies::alfa($invoice));
        $client->close();
        $client->close();
        $client->__destruct(); // what PHP code written to "close" a client does
        $client->__destruct();
        $this->assertTrue($client->isClosed());
        foreach (self::calls() as $name => $call) {
            $e = $this->assertRefused(Status::ERR_NULL_ARGUMENT, fn () => $call($client), $name);
            $this->assertStringContainsString('closed', $e->getMessage());
        }
        // Another client still works: closing one freed only its own handle.
        $other = new Client(self::config());
        $this->assertSame(200, $other->checkStatus($invoice)['status']);
    }

    public function testAnExplicitDestructorCallFreesOnce(): void
    {
        $client = new Client(self::config());
        $client->__destruct();
        $this->assertTrue($client->isClosed());
        unset($client); // the engine's own destructor call: nothing left to free
        $this->addToAssertionCount(1);
    }

    /**
     * Encoding a request may run user code (\JsonSerializable), and that code may close the
     * client: the handle is taken after encoding, so the call sees a closed client instead
     * of passing libdoku a freed one (a use after free that valgrind reported).
     */
    public function testUserCodeThatClosesTheClientWhileItsRequestIsEncoded(): void
    {
        $closer = static fn (Client $c, mixed $value) => new class($c, $value) implements \JsonSerializable {
            public function __construct(private Client $c, private mixed $value)
            {
            }

            public function jsonSerialize(): mixed
            {
                $this->c->__destruct();
                return $this->value;
            }
        };
        $calls = [
            'alfaPaymentCode' => function (Client $c) use ($closer) {
                $body = Bodies::alfa(Bodies::invoice());
                $body['order']['amount'] = $closer($c, 150000);
                return $c->alfaPaymentCode($body);
            },
            'indomaretPaymentCode' => fn (Client $c) => $c->indomaretPaymentCode(Bodies::indomaret(Bodies::invoice()), ['request_id' => $closer($c, 'r-1')]),
            'indodanaGenerateOrder' => fn (Client $c) => $c->indodanaGenerateOrder(Bodies::indodana(Bodies::invoice()), ['request_id' => $closer($c, 'r-2')]),
            'checkStatus' => fn (Client $c) => $c->checkStatus('INV-1', ['request_id' => $closer($c, 'r-3')]),
            'call' => fn (Client $c) => $c->call('check_status', ['id' => $closer($c, 'INV-1')]),
            'request' => fn (Client $c) => $c->request('POST', '/x', ['a' => $closer($c, 1)]),
        ];
        foreach ($calls as $name => $call) {
            $client = new Client(self::config());
            $this->assertRefused(Status::ERR_NULL_ARGUMENT, fn () => $call($client), $name);
            $this->assertTrue($client->isClosed(), $name);
        }
    }

    public function testASecondConstructIsRefusedAndKeepsTheHandle(): void
    {
        $client = new Client(self::config());
        $this->assertRefused(Status::ERR_INVALID_INPUT, fn () => $client->__construct(self::config()), '__construct again');
        // A different configuration would have replaced the handle: it did not.
        $this->assertRefused(Status::ERR_INVALID_INPUT,
            fn () => $client->__construct(['client_id' => 'X', 'secret_key' => 'Y', 'base_url' => 'http://127.0.0.1:9']), '__construct other');
        $invoice = Bodies::invoice();
        $this->assertSame($invoice, $client->alfaPaymentCode(Bodies::alfa($invoice))['body']['order']['invoice_number']);
        $client->close();
        $this->assertRefused(Status::ERR_INVALID_INPUT, fn () => $client->__construct(self::config()), '__construct after close');
        $this->assertTrue($client->isClosed());
    }

    public function testAFailedConstructionLeavesNothingToFree(): void
    {
        try {
            new Client(['client_id' => 'C', 'secret_key' => 'S', 'environment' => 'nowhere']);
            $this->fail('constructed with an unknown environment');
        } catch (\Doku\Direct\Exception\ConfigException $e) {
            $this->assertSame(Status::ERR_CONFIG, $e->getCode());
        }
        // An object built without its constructor owns nothing and says it is closed.
        $bare = (new \ReflectionClass(Client::class))->newInstanceWithoutConstructor();
        $this->assertTrue($bare->isClosed());
        $this->assertRefused(Status::ERR_NULL_ARGUMENT, fn () => $bare->checkStatus('INV-1'), 'never constructed');
        $bare->close();
    }

    public function testCloneIsRefusedAndTheOriginalKeepsWorking(): void
    {
        $client = new Client(self::config());
        $this->assertRefused(Status::ERR_INVALID_INPUT, fn () => clone $client, 'clone');
        gc_collect_cycles(); // the half-made copy is gone; it owned nothing
        $invoice = Bodies::invoice();
        $this->assertContains($client->alfaPaymentCode(Bodies::alfa($invoice))['status'], [200, 201]);
        $this->assertSame('PENDING', $client->checkStatus($invoice)['body']['transaction']['status']);
    }

    public function testSerializeAndUnserializeAreRefused(): void
    {
        $client = new Client(self::config());
        $this->assertRefused(Status::ERR_INVALID_INPUT, fn () => serialize($client), 'serialize');
        $name = Client::class;
        $payloads = [
            'O:' . strlen($name) . ":\"{$name}\":0:{}",
            'O:' . strlen($name) . ":\"{$name}\":1:{s:6:\"handle\";N;}",
            'O:' . strlen($name) . ":\"{$name}\":1:{s:6:\"closed\";b:0;}",
        ];
        foreach ($payloads as $payload) {
            $this->assertRefused(Status::ERR_INVALID_INPUT, fn () => unserialize($payload), "unserialize {$payload}");
        }
        $this->assertRefused(Status::ERR_INVALID_INPUT, fn () => Client::__set_state([]), '__set_state');
        $invoice = Bodies::invoice();
        $client->alfaPaymentCode(Bodies::alfa($invoice));
        $this->assertSame(200, $client->checkStatus($invoice)['status'], 'the client is untouched');
    }

    public function testDebugOutputShowsNoConfiguration(): void
    {
        $client = new Client(self::config());
        ob_start();
        var_dump($client);
        $dump = (string) ob_get_clean();
        $this->assertStringContainsString('["closed"]=>', $dump);
        $this->assertStringNotContainsString(Sandbox::SECRET_KEY, $dump . print_r($client, true) . var_export((array) $client, true));
        $client->close();
        $this->assertSame(['closed' => true], $client->__debugInfo());
    }

    /**
     * The sequences that crashed before (a double free at the second use or at shutdown),
     * in a child PHP: it must exit 0 having printed every line, not die with SIGSEGV.
     */
    public function testNoSequenceCrashesAChildProcess(): void
    {
        $script = <<<'PHP'
            $config = ['client_id' => 'C', 'secret_key' => 'S', 'base_url' => 'http://127.0.0.1:9'];
            $attempt = function (string $what, callable $fn): void {
                try { $fn(); echo "{$what}: no exception\n"; }
                catch (Doku\Direct\Exception\DokuException $e) { echo "{$what}: ", get_class($e), ' ', $e->getCode(), "\n"; }
            };
            $a = new Doku\Direct\Client($config);
            $a->__destruct();
            $attempt('use after __destruct', fn () => $a->checkStatus('INV-1'));
            $a->__destruct();
            $b = new Doku\Direct\Client($config);
            $attempt('construct twice', fn () => $b->__construct($config));
            $attempt('clone', fn () => clone $b);
            $attempt('unserialize', fn () => unserialize('O:18:"Doku\Direct\Client":0:{}'));
            $d = new Doku\Direct\Client($config);
            $d->close();
            $keep = [$b, $d, new Doku\Direct\Client($config)]; // destroyed by the engine at exit
            echo "end\n";
            PHP;
        $code = 'require ' . var_export(dirname(__DIR__) . '/autoload.php', true) . ";\n" . $script;
        $env = ['DOKU_LIBRARY' => (string) getenv('DOKU_LIBRARY'), 'PATH' => (string) getenv('PATH')];
        $p = proc_open([PHP_BINARY, '-d', 'ffi.enable=1', '-r', $code], [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, null, $env);
        $out = (string) stream_get_contents($pipes[1]);
        $err = (string) stream_get_contents($pipes[2]);
        $status = proc_close($p);
        $this->assertSame(0, $status, "child exited {$status}\n{$out}\n{$err}");
        $this->assertSame(implode("\n", [
            'use after __destruct: Doku\Direct\Exception\InvalidInputException 101',
            'construct twice: Doku\Direct\Exception\InvalidInputException 100',
            'clone: Doku\Direct\Exception\InvalidInputException 100',
            'unserialize: Doku\Direct\Exception\InvalidInputException 100',
            'end',
        ]) . "\n", $out, $err);
    }
}
