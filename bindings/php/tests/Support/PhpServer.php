<?php

declare(strict_types=1);

namespace Doku\Direct\Tests\Support;

/** PHP's built-in web server (`php -S 127.0.0.1:PORT script.php`) as a subprocess. */
final class PhpServer
{
    public readonly string $url;
    /** @var resource */
    private $proc;
    private string $log;

    /**
     * @param list<string> $ini `-d` settings (`ffi.enable=1`, ...)
     * @param array<string, string> $env
     */
    public function __construct(string $script, array $ini, array $env)
    {
        $this->log = (string) tempnam(sys_get_temp_dir(), 'doku-php-server-');
        for ($try = 0; $try < 5; $try++) {
            $port = Sandbox::freePort();
            $cmd = [PHP_BINARY];
            foreach ($ini as $setting) {
                array_push($cmd, '-d', $setting);
            }
            array_push($cmd, '-S', "127.0.0.1:{$port}", $script);
            $env += ['PATH' => (string) getenv('PATH')];
            $proc = proc_open($cmd, [0 => ['file', '/dev/null', 'r'], 1 => ['file', $this->log, 'a'], 2 => ['file', $this->log, 'a']], $pipes, null, $env);
            if (!is_resource($proc)) {
                throw new \RuntimeException('cannot start ' . implode(' ', $cmd));
            }
            $this->proc = $proc;
            $deadline = microtime(true) + 10;
            while (microtime(true) < $deadline && proc_get_status($proc)['running']) {
                $s = @fsockopen('127.0.0.1', $port, $errno, $errstr, 0.2);
                if ($s !== false) {
                    fclose($s);
                    $this->url = "http://127.0.0.1:{$port}";
                    return;
                }
                usleep(20_000);
            }
            $this->stop(false); // port taken meanwhile, or a slow start: try another port
        }
        throw new \RuntimeException("php -S did not start:\n" . $this->log());
    }

    public function __destruct()
    {
        $this->stop();
    }

    public function log(): string
    {
        return (string) @file_get_contents($this->log);
    }

    public function stop(bool $removeLog = true): void
    {
        if (isset($this->proc)) {
            proc_terminate($this->proc);
            proc_close($this->proc);
            unset($this->proc);
        }
        if ($removeLog) {
            @unlink($this->log);
        }
    }
}
