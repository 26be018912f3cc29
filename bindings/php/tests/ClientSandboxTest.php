<?php

declare(strict_types=1);

namespace Doku\Direct\Tests;

use Doku\Direct\Client;
use Doku\Direct\Exception\ValidationException;
use Doku\Direct\Signature;
use Doku\Direct\Tests\Support\Bodies;
use Doku\Direct\Tests\Support\Http;
use Doku\Direct\Tests\Support\Sandbox;
use PHPUnit\Framework\TestCase;

/**
 * Every client operation through real sockets against a `doku sandbox` subprocess.
 *
 * @group memcheck
 */
final class ClientSandboxTest extends TestCase
{
    private static Sandbox $sandbox;
    private static Client $client;

    public static function setUpBeforeClass(): void
    {
        self::$sandbox = new Sandbox();
        self::$client = new Client([
            'client_id' => Sandbox::CLIENT_ID,
            'secret_key' => Sandbox::SECRET_KEY,
            'base_url' => self::$sandbox->url,
            'response_signature' => 'require',
        ]);
    }

    public static function tearDownAfterClass(): void
    {
        self::$sandbox->stop();
    }

    private static function assertCreated(array $r, ?string $requestId = null): void
    {
        self::assertContains($r['status'], [200, 201]);
        self::assertFalse($r['replay']);
        self::assertTrue($r['signature_verified']);
        self::assertMatchesRegularExpression('~^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$~', $r['response_timestamp']);
        self::assertIsString($r['request_id']);
        if ($requestId !== null) {
            self::assertSame($requestId, $r['request_id']);
        }
    }

    public function testAlfaPaymentCodeThenCheckStatus(): void
    {
        $invoice = Bodies::invoice();
        $r = self::$client->alfaPaymentCode(Bodies::alfa($invoice));
        self::assertCreated($r);
        self::assertSame($invoice, $r['body']['order']['invoice_number']);
        $code = $r['body']['online_to_offline_info']['payment_code'];
        $this->assertMatchesRegularExpression('~^88888\d{11}$~', $code);

        $s = self::$client->checkStatus($invoice);
        $this->assertSame(200, $s['status']);
        $this->assertSame('PENDING', $s['body']['transaction']['status']);
        $this->assertSame($r['request_id'], $s['body']['transaction']['original_request_id']);
        $this->assertSame($code, $s['body']['online_to_offline_info']['payment_code']);

        // Check status by the original Request-Id too.
        $byId = self::$client->checkStatus($r['request_id']);
        $this->assertSame($invoice, $byId['body']['order']['invoice_number']);
    }

    public function testIndomaretPaymentCode(): void
    {
        $invoice = Bodies::invoice();
        $r = self::$client->indomaretPaymentCode(Bodies::indomaret($invoice));
        self::assertCreated($r);
        $this->assertSame($invoice, $r['body']['order']['invoice_number']);
        $this->assertMatchesRegularExpression('~^\d{10,25}$~', $r['body']['online_to_offline_info']['payment_code']);
        $this->assertSame('ONLINE_TO_OFFLINE_INDOMARET', self::$client->checkStatus($invoice)['body']['channel']['id']);
    }

    public function testIndodanaGenerateOrder(): void
    {
        $invoice = Bodies::invoice();
        $r = self::$client->indodanaGenerateOrder(Bodies::indodana($invoice));
        self::assertCreated($r);
        $this->assertSame($invoice, $r['body']['order']['invoice_number']);
        $this->assertSame('PENDING', $r['body']['payment']['status']);
        $this->assertStringStartsWith(self::$sandbox->url . '/_sandbox/indodana/payment/', $r['body']['payment']['url']);
        $this->assertSame('PENDING', self::$client->checkStatus($invoice)['body']['transaction']['status']);
    }

    public function testReplayWithTheSameRequestIdIsSuccess(): void
    {
        $invoice = Bodies::invoice();
        $rid = 'php-replay-' . $invoice;
        $first = self::$client->alfaPaymentCode(Bodies::alfa($invoice), ['request_id' => $rid]);
        self::assertCreated($first, $rid);
        $again = self::$client->alfaPaymentCode(Bodies::alfa($invoice), ['request_id' => $rid]);
        $this->assertSame(409, $again['status']);
        $this->assertTrue($again['replay']);
        $this->assertSame($rid, $again['request_id']);
        $this->assertSame(
            $first['body']['online_to_offline_info']['payment_code'],
            $again['body']['online_to_offline_info']['payment_code'],
        );
    }

    public function testRawJsonStringIsSentAsIs(): void
    {
        $invoice = Bodies::invoice();
        $raw = json_encode(Bodies::alfa($invoice), JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES);
        $r = self::$client->alfaPaymentCode($raw, ['request_id' => "raw-{$invoice}"]);
        self::assertCreated($r, "raw-{$invoice}");
    }

    public function testGenericCallAndSignedRequest(): void
    {
        $invoice = Bodies::invoice();
        $r = self::$client->call('alfa_payment_code', Bodies::alfa($invoice));
        self::assertCreated($r);
        $this->assertSame($invoice, self::$client->call('check_status', ['id' => $invoice])['body']['order']['invoice_number']);

        // Any path: POST (not validated) and GET.
        $invoice2 = Bodies::invoice();
        $post = self::$client->request('POST', '/indomaret-online-to-offline/v2/payment-code', Bodies::indomaret($invoice2));
        self::assertCreated($post);
        $get = self::$client->request('GET', '/orders/v1/status/' . rawurlencode($invoice2));
        $this->assertSame('PENDING', $get['body']['transaction']['status']);
    }

    public function testUnicodeBodiesTravelUnescaped(): void
    {
        $invoice = Bodies::invoice();
        $body = Bodies::alfa($invoice);
        $body['customer']['name'] = 'Dewi Lestari — Toko Kué';
        self::assertCreated(self::$client->alfaPaymentCode($body));
        $this->assertSame($invoice, self::$client->checkStatus($invoice)['body']['order']['invoice_number']);
    }

    public function testValidateLocally(): void
    {
        Client::validate('alfa_payment_code', Bodies::alfa('INV-1'));
        Client::validate('indodana_generate_order', Bodies::indodana('INV-1'));
        $bad = Bodies::indodana('INV-1');
        $bad['order']['line_items'][0]['price'] = -1;
        try {
            Client::validate('indodana_generate_order', $bad);
            $this->fail('validated a negative price');
        } catch (ValidationException $e) {
            $this->assertSame('order.line_items[0].price', $e->field);
        }
    }

    public function testPaymentThroughTheSandboxShowsInCheckStatus(): void
    {
        $invoice = Bodies::invoice();
        self::$client->alfaPaymentCode(Bodies::alfa($invoice));
        self::$sandbox->pay(['invoice_number' => $invoice, 'client_id' => Sandbox::CLIENT_ID]);
        $this->assertSame('SUCCESS', self::$client->checkStatus($invoice)['body']['transaction']['status']);
        // Without a notification URL the sandbox records the attempt as unsent.
        $attempts = array_values(array_filter(self::$sandbox->notifications(), fn ($a) => $a['invoice_number'] === $invoice));
        $this->assertCount(1, $attempts);
        $this->assertFalse($attempts[0]['delivered']);
    }

    /** What the client sends is what the sandbox verifies: a raw request signed in PHP. */
    public function testSignatureFromPhpIsAcceptedByTheSandbox(): void
    {
        $invoice = Bodies::invoice();
        $body = json_encode(Bodies::alfa($invoice), JSON_UNESCAPED_SLASHES);
        $path = '/alfa-online-to-offline/v2/payment-code';
        $rid = "php-raw-{$invoice}";
        $ts = gmdate('Y-m-d\TH:i:s\Z');
        [$status, $headers, $answer] = Http::request('POST', self::$sandbox->url . $path, $body, [
            'Client-Id' => Sandbox::CLIENT_ID,
            'Request-Id' => $rid,
            'Request-Timestamp' => $ts,
            'Signature' => Signature::sign(Sandbox::CLIENT_ID, $rid, $ts, $path, $body, Sandbox::SECRET_KEY),
        ]);
        $this->assertSame(200, $status, $answer);
        $this->assertTrue(Signature::verifyResponse(
            Sandbox::CLIENT_ID,
            $rid,
            $headers['response-timestamp'],
            $path,
            $answer,
            Sandbox::SECRET_KEY,
            $headers['signature'],
        ));
    }
}
