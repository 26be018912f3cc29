<?php

declare(strict_types=1);

namespace Doku\Direct\Tests;

use Doku\Direct\Client;
use Doku\Direct\Exception\ApiException;
use Doku\Direct\Status;
use Doku\Direct\Tests\Support\Bodies;
use Doku\Direct\Tests\Support\PhpServer;
use Doku\Direct\Tests\Support\Sandbox;
use PHPUnit\Framework\TestCase;

/**
 * Clock skew through the PHP client against `doku sandbox`, seen through
 * fixtures/skewed_doku.php: a DOKU whose clock is 412 s ahead of this machine's (so this
 * client's clock is 412 s behind DOKU's). The client measures it, explains DOKU's timestamp
 * refusal with it, and with `correct_clock_skew` signs with the corrected time.
 *
 * @group memcheck
 */
final class ClockSkewTest extends TestCase
{
    private const SKEW = 412;

    private static Sandbox $sandbox;
    private static PhpServer $doku;

    public static function setUpBeforeClass(): void
    {
        self::$sandbox = new Sandbox();
        self::$doku = new PhpServer(__DIR__ . '/fixtures/skewed_doku.php', ['ffi.enable=1'], [
            'DOKU_LIBRARY' => (string) getenv('DOKU_LIBRARY'),
            'DOKU_UPSTREAM' => self::$sandbox->url,
            'DOKU_SKEW_SECS' => (string) self::SKEW,
            'DOKU_CLIENT_ID' => Sandbox::CLIENT_ID,
            'DOKU_SECRET_KEY' => Sandbox::SECRET_KEY,
        ]);
    }

    public static function tearDownAfterClass(): void
    {
        self::$doku->stop();
        self::$sandbox->stop();
    }

    private static function client(bool $correct): Client
    {
        return new Client(['client_id' => Sandbox::CLIENT_ID, 'secret_key' => Sandbox::SECRET_KEY,
            'base_url' => self::$doku->url, 'retries' => 0, 'response_signature' => 'require',
            'correct_clock_skew' => $correct]);
    }

    private function assertAboutSkew(?int $skew): void
    {
        $this->assertIsInt($skew, 'measured from the answer');
        $this->assertGreaterThanOrEqual(self::SKEW - 2, $skew);
        $this->assertLessThanOrEqual(self::SKEW + 2, $skew);
    }

    public function testARefusalSaysHowFarBehindTheClockIs(): void
    {
        $client = self::client(false);
        $this->assertNull($client->clockSkew());
        try {
            $client->alfaPaymentCode(Bodies::alfa(Bodies::invoice('INV-PHP-BEHIND')));
            $this->fail('DOKU accepted a timestamp 412 s behind its clock: ' . self::$doku->log());
        } catch (ApiException $e) {
            $this->assertSame(Status::ERR_API, $e->getCode());
            $this->assertSame(401, $e->httpStatus);
            $this->assertSame('headers.Request-Timestamp', $e->field);
            $this->assertStringContainsString('timestamp_out_of_window', $e->getMessage());
            $this->assertMatchesRegularExpression('~Your clock is 41[0-4] s behind DOKU\'s~', $e->getMessage());
            $this->assertStringContainsString('correct_clock_skew', $e->getMessage());
        }
        $this->assertAboutSkew($client->clockSkew());
    }

    public function testCorrectClockSkewSignsWithTheCorrectedTime(): void
    {
        $client = self::client(true);
        $invoice = Bodies::invoice('INV-PHP-CORRECTED');
        // The first call is refused, measured, and sent once more with the corrected time.
        $r = $client->alfaPaymentCode(Bodies::alfa($invoice));
        $this->assertContains($r['status'], [200, 201], self::$doku->log());
        $this->assertTrue($r['signature_verified']);
        $this->assertSame(0, $r['key_index']);
        $this->assertAboutSkew($client->clockSkew());
        // Later calls are signed with the corrected time from the start.
        $this->assertSame('PENDING', $client->checkStatus($invoice)['body']['transaction']['status']);
        $this->assertAboutSkew($client->clockSkew());
    }
}
