<?php

declare(strict_types=1);

namespace Doku\Direct\Tests;

use PHPUnit\Framework\TestCase;

/**
 * With argument capture on (`zend.exception_ignore_args=0`: PHP's built-in default and
 * php.ini-development), an exception's trace records every frame's arguments, and error
 * logs and framework error pages print them through print_r, var_dump or (string). No
 * exception the package throws may show the secret key there, or a signature: every
 * parameter that can carry one is #[\SensitiveParameter], and the PHP layer never lets an
 * internal function (json_encode) throw with the configuration as its argument.
 *
 * tests/fixtures/secrets_in_traces.php triggers each case in a child PHP started with
 * capture on and whole string arguments in (string) $e (Debian's php.ini turns both off),
 * and reports what each rendering shows. Each case also checks the control: a marker
 * passed as a non-secret argument does appear, so capture really was on.
 */
final class SecretsInTracesTest extends TestCase
{
    private const SECRET = 'SKsecretTRACE42-do-not-print';
    private const MARKER = 'CIDmarker7';
    private const SIG = 'HMACSHA256=c2lnbmF0dXJlLW5vdC10by1wcmludA==';

    /** Cases whose only non-secret argument is inside the redacted configuration. */
    private const NO_VISIBLE_MARKER = ['config: bad retries', 'config: unknown key', 'config: invalid UTF-8',
        'config: NAN', 'config: an object', 'config: JsonSerializable', 'config: a bad previous key'];

    /** @return list<array<string, mixed>> */
    private static function runChild(string $ignoreArgs): array
    {
        $env = ['DOKU_LIBRARY' => (string) getenv('DOKU_LIBRARY'), 'PATH' => (string) getenv('PATH')];
        $cmd = [PHP_BINARY, '-d', 'ffi.enable=1', '-d', "zend.exception_ignore_args={$ignoreArgs}",
            '-d', 'zend.exception_string_param_max_len=1000000', '-d', 'memory_limit=512M',
            __DIR__ . '/fixtures/secrets_in_traces.php', dirname(__DIR__) . '/autoload.php', self::SECRET, self::MARKER, self::SIG];
        $p = proc_open($cmd, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, null, $env);
        $out = (string) stream_get_contents($pipes[1]);
        $err = (string) stream_get_contents($pipes[2]);
        $status = proc_close($p);
        self::assertSame(0, $status, "the child PHP failed ({$status}): {$err}\n{$out}");
        return array_map(static fn (string $l) => json_decode($l, true, 512, JSON_THROW_ON_ERROR), explode("\n", trim($out)));
    }

    public function testNoRenderingOfAnyPackageExceptionShowsTheSecretOrASignature(): void
    {
        $lines = self::runChild('0');
        $this->assertCount(29, $lines);
        foreach ($lines as $line) {
            $case = $line['case'];
            if ($case === 'client dump') {
                $this->assertFalse($line['dump_has_secret'], 'var_dump/print_r/var_export of a Client');
                continue;
            }
            $this->assertTrue($line['package'], "{$case}: threw {$line['thrown']}, not the package's exception");
            $this->assertGreaterThan(0, $line['code'], "{$case}: every package exception carries its status");
            foreach (['print_r', 'var_dump', 'string'] as $how) {
                $this->assertFalse($line['secret'][$how], "{$case}: {$how} shows the secret key");
                $this->assertFalse($line['signature'][$how], "{$case}: {$how} shows the signature");
                if (!in_array($case, self::NO_VISIBLE_MARKER, true)) {
                    $this->assertTrue($line['marker'][$how], "{$case}: {$how} shows no argument: was capture on?");
                }
            }
        }
    }
}
