<?php

declare(strict_types=1);

namespace Doku\Direct\Tests;

use Doku\Direct\Client;
use Doku\Direct\Internal\Native;
use Doku\Direct\Signature;
use Doku\Direct\Tests\Support\Bodies;
use Doku\Direct\Tests\Support\Http;
use Doku\Direct\Tests\Support\PhpServer;
use Doku\Direct\Tests\Support\Sandbox;
use PHPUnit\Framework\TestCase;

/**
 * A real notification receiver: PHP's built-in server runs examples/notify.php, the
 * sandbox sends it signed notifications for payments simulated with POST /_sandbox/pay,
 * and every one must arrive verified (and the sandbox must see 200 for each attempt).
 * Run twice: with ffi.enable=1 (FFI::cdef per process), and with the production setup,
 * ffi.enable=preload + ffi.preload + opcache.preload (FFI::scope; FFI::cdef forbidden).
 */
final class NotifyReceiverTest extends TestCase
{
    private const PATH = '/payments/notifications';

    /** @return iterable<string, array{0: string}> */
    public static function modes(): iterable
    {
        yield 'ffi.enable=1, FFI::cdef' => ['cdef'];
        yield 'ffi.enable=preload, opcache.preload, FFI::scope' => ['preload'];
    }

    /** @dataProvider modes */
    public function testSandboxNotificationsArriveVerified(string $mode): void
    {
        $dir = dirname(__DIR__);
        $log = (string) tempnam(sys_get_temp_dir(), 'doku-notify-log-');
        $header = (string) tempnam(sys_get_temp_dir(), 'doku-ffi-h-');
        $ini = ['ffi.enable=1'];
        if ($mode === 'preload') {
            file_put_contents($header, Native::preloadHeader((string) getenv('DOKU_LIBRARY')));
            $ini = ['ffi.enable=preload', "ffi.preload={$header}", 'opcache.enable=1', 'opcache.enable_cli=1',
                "opcache.preload={$dir}/preload.php"];
            if (function_exists('posix_geteuid') && posix_geteuid() === 0) {
                $ini[] = 'opcache.preload_user=root';
            }
        }
        $receiver = new PhpServer("{$dir}/examples/notify.php", $ini, [
            'DOKU_LIBRARY' => (string) getenv('DOKU_LIBRARY'),
            'DOKU_CLIENT_ID' => Sandbox::CLIENT_ID,
            'DOKU_SECRET_KEY' => Sandbox::SECRET_KEY,
            'DOKU_NOTIFY_LOG' => $log,
        ]);
        $sandbox = new Sandbox([Sandbox::CLIENT_ID . ':' . Sandbox::SECRET_KEY . ':' . $receiver->url . self::PATH]);
        try {
            $this->runFlow($sandbox, $receiver, $log, $mode);
        } catch (\Throwable $e) {
            fwrite(STDERR, "\n--- php -S log:\n" . $receiver->log() . "\n--- sandbox log:\n" . $sandbox->log() . "\n");
            throw $e;
        } finally {
            $sandbox->stop();
            $receiver->stop();
            @unlink($log);
            @unlink($header);
        }
    }

    private function runFlow(Sandbox $sandbox, PhpServer $receiver, string $log, string $mode): void
    {
        // The receiver refuses what is not a signed POST to its path.
        $this->assertSame(405, Http::request('GET', $receiver->url . self::PATH)[0]);
        $this->assertSame(404, Http::request('POST', $receiver->url . '/elsewhere', '{}')[0]);
        $forged = '{"order":{"invoice_number":"INV-FORGED","amount":1},"transaction":{"status":"SUCCESS"}}';
        $ts = gmdate('Y-m-d\TH:i:s\Z');
        [$status] = Http::request('POST', $receiver->url . self::PATH, $forged, [
            'Client-Id' => Sandbox::CLIENT_ID, 'Request-Id' => "forged-{$mode}", 'Request-Timestamp' => $ts,
            'Signature' => Signature::sign(Sandbox::CLIENT_ID, "forged-{$mode}", $ts, self::PATH, $forged, 'SK-not-the-secret'),
        ]);
        $this->assertSame(401, $status, 'a forged notification is refused');

        // Three channels, paid through the sandbox; one payment fails.
        $client = new Client(['client_id' => Sandbox::CLIENT_ID, 'secret_key' => Sandbox::SECRET_KEY, 'base_url' => $sandbox->url]);
        $want = [];
        $inv = Bodies::invoice('INV-ALFA');
        $client->alfaPaymentCode(Bodies::alfa($inv));
        $want[$inv] = 'SUCCESS';
        $inv = Bodies::invoice('INV-IDM');
        $code = $client->indomaretPaymentCode(Bodies::indomaret($inv))['body']['online_to_offline_info']['payment_code'];
        $want[$inv] = 'FAILED';
        $inv2 = Bodies::invoice('INV-IDD');
        $client->indodanaGenerateOrder(Bodies::indodana($inv2));
        $want[$inv2] = 'SUCCESS';

        foreach ($want as $invoice => $outcome) {
            $selector = $invoice === $inv ? ['payment_code' => $code] : ['invoice_number' => $invoice];
            $sandbox->pay($selector + ['status' => $outcome]);
        }

        // Wait for the receiver to record one verified notification per payment.
        $deadline = microtime(true) + 20;
        do {
            $records = array_values(array_filter(array_map(
                fn ($l) => json_decode($l, true),
                file($log, FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES) ?: [],
            )));
            $verified = array_column(array_filter($records, fn ($r) => $r['verified']), null, 'invoice_number');
            if (count(array_intersect_key($verified, $want)) === count($want)) {
                break;
            }
            usleep(50_000);
        } while (microtime(true) < $deadline);

        foreach ($want as $invoice => $outcome) {
            $this->assertArrayHasKey($invoice, $verified, "notification for {$invoice} arrived verified");
            $this->assertSame($outcome, $verified[$invoice]['status']);
        }
        $this->assertSame(150000, $verified[array_key_first($want)]['amount']);
        $rejected = array_values(array_filter($records, fn ($r) => !$r['verified']));
        $this->assertCount(1, $rejected, 'only the forged one was rejected');
        $this->assertSame("forged-{$mode}", $rejected[0]['request_id']);

        // The sandbox saw each first attempt answered 200, with the Request-Id the receiver recorded.
        $deadline = microtime(true) + 5;
        do {
            $attempts = array_column(array_filter($sandbox->notifications(), fn ($a) => isset($want[$a['invoice_number']])), null, 'invoice_number');
            if (count($attempts) === count($want)) {
                break;
            }
            usleep(50_000);
        } while (microtime(true) < $deadline);
        foreach ($want as $invoice => $outcome) {
            $a = $attempts[$invoice];
            $this->assertTrue($a['delivered'], json_encode($a));
            $this->assertSame(200, $a['status']);
            $this->assertSame(1, $a['attempt']);
            $this->assertSame($outcome, $a['transaction_status']);
            $this->assertSame($receiver->url . self::PATH, $a['url']);
            $this->assertSame($a['request_id'], $verified[$invoice]['request_id']);
        }
    }
}
