<?php

declare(strict_types=1);

namespace Doku\Direct\Tests\Support;

/**
 * A `doku sandbox` subprocess on a free loopback port (`--port 0`); its URL is read from
 * the line it prints. Closing its stdin stops it (the sandbox exits at end of input).
 */
final class Sandbox
{
    public const CLIENT_ID = 'MCH-PHP-0001';
    public const SECRET_KEY = 'SK-php-test-secret-0001';

    public readonly string $url;
    /** @var resource */
    private $proc;
    /** @var array<int, resource> */
    private array $pipes;
    private string $log;

    /** @param list<string> $merchants `ID:SECRET[:URL]` */
    public function __construct(array $merchants = [self::CLIENT_ID . ':' . self::SECRET_KEY], array $extra = [])
    {
        $cmd = [(string) getenv('DOKU_BIN'), 'sandbox', '--port', '0'];
        foreach ($merchants as $m) {
            array_push($cmd, '--merchant', $m);
        }
        $cmd = array_merge($cmd, $extra);
        $this->log = (string) tempnam(sys_get_temp_dir(), 'doku-sandbox-log-');
        $proc = proc_open($cmd, [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => ['file', $this->log, 'w']], $pipes);
        if (!is_resource($proc)) {
            throw new \RuntimeException('cannot start ' . implode(' ', $cmd));
        }
        $this->proc = $proc;
        $this->pipes = $pipes;
        $line = self::readLine($pipes[1], 20.0);
        if (!preg_match('~listening on (http://\S+)~', $line, $m)) {
            $this->stop();
            throw new \RuntimeException("doku sandbox did not start: {$line}\n" . $this->log());
        }
        $this->url = $m[1];
    }

    public function __destruct()
    {
        $this->stop();
    }

    /** The sandbox's stderr log so far. */
    public function log(): string
    {
        return (string) @file_get_contents($this->log);
    }

    /** `POST /_sandbox/pay`: pays a transaction, which makes the sandbox notify. */
    public function pay(array $selector): array
    {
        [$status, , $body] = Http::request('POST', $this->url . '/_sandbox/pay', json_encode($selector));
        if ($status !== 200) {
            throw new \RuntimeException("pay answered {$status}: {$body}");
        }
        return json_decode($body, true);
    }

    /** `GET /_sandbox/notifications`: every delivery attempt so far. */
    public function notifications(): array
    {
        [, , $body] = Http::request('GET', $this->url . '/_sandbox/notifications');
        return json_decode($body, true);
    }

    /**
     * The delivery attempts for `$invoice`, polled from `GET /_sandbox/notifications` until
     * at least one is recorded or `$timeout` seconds pass (then: whatever there is, maybe []).
     *
     * @return list<array<string, mixed>>
     */
    public function awaitAttempts(string $invoice, float $timeout = 10.0): array
    {
        $deadline = microtime(true) + $timeout;
        do {
            $attempts = array_values(array_filter($this->notifications(), fn ($a) => $a['invoice_number'] === $invoice));
            if ($attempts !== []) {
                return $attempts;
            }
            usleep(50_000);
        } while (microtime(true) < $deadline);
        return [];
    }

    public function stop(): void
    {
        if (!isset($this->proc)) {
            return;
        }
        foreach ($this->pipes as $p) {
            if (is_resource($p)) {
                fclose($p);
            }
        }
        $deadline = microtime(true) + 5;
        while (proc_get_status($this->proc)['running'] && microtime(true) < $deadline) {
            usleep(10_000);
        }
        if (proc_get_status($this->proc)['running']) {
            proc_terminate($this->proc);
        }
        proc_close($this->proc);
        unset($this->proc);
        @unlink($this->log);
    }

    /** @param resource $stream */
    public static function readLine($stream, float $timeout): string
    {
        $deadline = microtime(true) + $timeout;
        $line = '';
        stream_set_blocking($stream, false);
        while (!str_contains($line, "\n") && microtime(true) < $deadline) {
            $r = [$stream];
            $w = $e = null;
            if (@stream_select($r, $w, $e, 0, 100_000) > 0) {
                $chunk = fread($stream, 4096);
                if ($chunk === '' || $chunk === false) {
                    if (feof($stream)) {
                        break;
                    }
                    continue;
                }
                $line .= $chunk;
            }
        }
        return trim($line);
    }

    /** A loopback port nothing listens on now (bound, then closed). */
    public static function freePort(): int
    {
        $server = stream_socket_server('tcp://127.0.0.1:0', $errno, $errstr);
        if ($server === false) {
            throw new \RuntimeException("cannot bind: {$errstr}");
        }
        $name = stream_socket_get_name($server, false);
        fclose($server);
        return (int) substr((string) $name, strrpos((string) $name, ':') + 1);
    }
}
