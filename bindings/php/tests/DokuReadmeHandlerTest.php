<?php

declare(strict_types=1);

namespace Doku\Direct\Tests;

use Doku\Direct\Client;
use Doku\Direct\Tests\Support\Bodies;
use Doku\Direct\Tests\Support\PhpServer;
use Doku\Direct\Tests\Support\Sandbox;
use PHPUnit\Framework\TestCase;

/**
 * The sandbox's notifications must reach handlers written the way DOKU's own PHP code
 * writes them (jokul-php-library README, DOKU's OpenCart/PrestaShop plugins), which read
 * getallheaders()['Client-Id'], ['Request-Id'], ['Request-Timestamp'], ['Signature'] by
 * exact name. PHP keeps the header-name case the sender used, so a sandbox that sends
 * `client-id` is rejected by every such handler even though its signature is right.
 *
 * The handler (tests/fixtures/doku_readme_handler.php) is plain PHP, no doku-direct code,
 * served by `php -S`; it logs one JSON line per request, which the test waits for.
 */
final class DokuReadmeHandlerTest extends TestCase
{
    private const PATH = '/payments/notifications';
    /** The names DOKU's PHP handlers read by exact key (sorted). */
    private const DOKU_HEADERS = ['Client-Id', 'Request-Id', 'Request-Timestamp', 'Signature'];
    private const WAIT_SECS = 10.0;

    public function testReadmeHandlerVerifiesSandboxNotification(): void
    {
        $this->withHandler(Sandbox::SECRET_KEY, function (Sandbox $sandbox, string $log): void {
            $invoice = $this->createAndPay($sandbox);

            $seen = $this->awaitHandlerLine($log, $invoice, $sandbox);
            $this->assertDokuHeaderNames($seen);
            $this->assertTrue($seen['verified'], 'the README-style handler verified the signature: ' . json_encode($seen));
            $this->assertSame(200, $seen['status']);
            $this->assertSame(self::PATH, $seen['request_target']);

            $attempts = $sandbox->awaitAttempts($invoice, self::WAIT_SECS);
            $this->assertCount(1, $attempts, json_encode($attempts));
            $a = $attempts[0];
            $this->assertTrue($a['delivered'], json_encode($a));
            $this->assertSame(200, $a['status']);
            $this->assertSame(1, $a['attempt']);
            $this->assertFalse($a['will_retry']);
            $this->assertSame($seen['request_id'], $a['request_id']);
        });
    }

    public function testReadmeHandlerWithAnotherSecretRefusesAndSandboxWillRetry(): void
    {
        $this->withHandler('SK-not-the-merchants-secret', function (Sandbox $sandbox, string $log): void {
            $invoice = $this->createAndPay($sandbox);

            $seen = $this->awaitHandlerLine($log, $invoice, $sandbox);
            // Refused for the signature, not because a header name did not match.
            $this->assertDokuHeaderNames($seen);
            $this->assertFalse($seen['verified'], json_encode($seen));
            $this->assertSame('signature mismatch', $seen['reason']);
            $this->assertSame(401, $seen['status']);

            $attempts = $sandbox->awaitAttempts($invoice, self::WAIT_SECS);
            $this->assertCount(1, $attempts, json_encode($attempts));
            $a = $attempts[0];
            $this->assertFalse($a['delivered'], json_encode($a));
            $this->assertSame(401, $a['status']);
            $this->assertSame(1, $a['attempt']);
            $this->assertTrue($a['will_retry'], 'a refused notification is retried later: ' . json_encode($a));
            $this->assertSame($seen['request_id'], $a['request_id']);
        });
    }

    /**
     * Starts the handler (knowing `$secretKey`) and a sandbox whose merchant notifies it,
     * runs `$flow`, and stops both; on failure prints both processes' logs.
     *
     * @param callable(Sandbox, string): void $flow
     */
    private function withHandler(string $secretKey, callable $flow): void
    {
        $log = (string) tempnam(sys_get_temp_dir(), 'doku-readme-handler-');
        $handler = new PhpServer(__DIR__ . '/fixtures/doku_readme_handler.php', [], [
            'DOKU_CLIENT_ID' => Sandbox::CLIENT_ID,
            'DOKU_SECRET_KEY' => $secretKey,
            'DOKU_README_HANDLER_LOG' => $log,
        ]);
        $sandbox = null;
        try {
            $sandbox = new Sandbox([Sandbox::CLIENT_ID . ':' . Sandbox::SECRET_KEY . ':' . $handler->url . self::PATH]);
            $flow($sandbox, $log);
        } catch (\Throwable $e) {
            fwrite(STDERR, "\n--- handler log:\n" . @file_get_contents($log) . "\n--- php -S log:\n" . $handler->log()
                . "\n--- sandbox log:\n" . ($sandbox?->log() ?? '') . "\n");
            throw $e;
        } finally {
            $sandbox?->stop();
            $handler->stop();
            @unlink($log);
        }
    }

    /** An Alfa payment code created through our PHP client, then paid in the sandbox. */
    private function createAndPay(Sandbox $sandbox): string
    {
        $client = new Client(['client_id' => Sandbox::CLIENT_ID, 'secret_key' => Sandbox::SECRET_KEY, 'base_url' => $sandbox->url]);
        $invoice = Bodies::invoice('INV-README');
        $client->alfaPaymentCode(Bodies::alfa($invoice));
        $sandbox->pay(['invoice_number' => $invoice]);
        return $invoice;
    }

    /**
     * The handler's log line for `$invoice`, polled until it appears; fails after
     * WAIT_SECS with what the sandbox recorded meanwhile.
     *
     * @return array<string, mixed>
     */
    private function awaitHandlerLine(string $log, string $invoice, Sandbox $sandbox): array
    {
        $deadline = microtime(true) + self::WAIT_SECS;
        do {
            foreach (file($log, FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES) ?: [] as $line) {
                $entry = json_decode($line, true);
                if (is_array($entry) && ($entry['invoice_number'] ?? null) === $invoice) {
                    return $entry;
                }
            }
            usleep(50_000);
        } while (microtime(true) < $deadline);
        $this->fail(sprintf('the handler logged no request for %s within %.0f s; the sandbox recorded: %s',
            $invoice, self::WAIT_SECS, json_encode($sandbox->notifications())));
    }

    /** The DOKU header names, exactly as getallheaders() returned them (compared case-sensitively). */
    private function assertDokuHeaderNames(array $seen): void
    {
        $lower = array_map('strtolower', self::DOKU_HEADERS);
        $names = array_values(array_filter($seen['header_names'], fn ($n) => in_array(strtolower($n), $lower, true)));
        sort($names, SORT_STRING);
        $this->assertSame(self::DOKU_HEADERS, $names,
            'getallheaders() must return the DOKU header names in the case DOKU documents, as DOKU\'s PHP handlers'
            . ' read them by exact key; the handler saw: ' . implode(', ', $seen['header_names'])
            . ($seen['reason'] !== null ? " (it answered {$seen['status']}: {$seen['reason']})" : ''));
    }
}
