<?php

declare(strict_types=1);

namespace Doku\Direct\Tests;

use Doku\Direct\Exception\InvalidInputException;
use Doku\Direct\Exception\SignatureException;
use Doku\Direct\Inquiry;
use Doku\Direct\Notification;
use Doku\Direct\Signature;
use PHPUnit\Framework\TestCase;

/**
 * Notifications and DIPC inquiries, signed here as DOKU signs them.
 *
 * @group memcheck
 */
final class NotificationTest extends TestCase
{
    private const CLIENT_ID = 'MCH-0001-10791114622547';
    private const SECRET = 'SK-notify-test-secret';
    private const NOTIFY_PATH = '/payments/notifications';
    private const INQUIRY_PATH = '/payments/inquiry';

    private const BODY = "{\n  \"service\": {\"id\": \"ONLINE_TO_OFFLINE\"},\n  \"acquirer\": {\"id\": \"ALFA\"},\n"
        . "  \"channel\": {\"id\": \"ONLINE_TO_OFFLINE_ALFA\"},\n"
        . "  \"order\": {\"invoice_number\": \"INV-20210124-0001\", \"amount\": 150000},\n"
        . "  \"online_to_offline_info\": {\"payment_code\": \"8888800000000077\"},\n"
        . "  \"transaction\": {\"status\": \"SUCCESS\", \"date\": \"2021-06-24T07:30:01Z\", \"original_request_id\": \"orig-1\"},\n"
        . "  \"customer\": {\"name\": \"Toko Kué — Ü\"}\n}";

    private const INQUIRY_BODY = '{"service":{"id":"ONLINE_TO_OFFLINE"},"acquirer":{"id":"ALFA"},'
        . '"channel":{"id":"ONLINE_TO_OFFLINE_ALFA"},'
        . '"online_to_offline_info":{"payment_code":"8888800000000077"},'
        . '"online_to_offline_inquiry":{"date":"2021-06-24T07:30:00Z",'
        . '"identifier":[{"name":"AGENT_ID","value":"ALFA-01"}]}}';

    private static function headers(string $body, string $path, string $rid = 'notify-1'): array
    {
        $ts = '2021-06-24T07:30:01Z';
        return [
            'Client-Id' => self::CLIENT_ID,
            'Request-Id' => $rid,
            'Request-Timestamp' => $ts,
            'Signature' => Signature::sign(self::CLIENT_ID, $rid, $ts, $path, $body, self::SECRET),
            'Content-Type' => 'application/json',
        ];
    }

    /** A header that is not UTF-8 (a proxy's, a browser's) does not make a notification unreadable. */
    public function testHeaderBytesThatAreNotUtf8(): void
    {
        $h = self::headers(self::BODY, self::NOTIFY_PATH) + ['X-Forwarded-Note' => "caf\xE9"];
        $this->assertSame('notify-1', Notification::verify($h, self::BODY, self::NOTIFY_PATH, self::CLIENT_ID, self::SECRET)['request_id']);
        $h['Request-Id'] = "notify-1\xE9"; // a signed header: substituted, so it no longer verifies
        $this->expectException(SignatureException::class);
        Notification::verify($h, self::BODY, self::NOTIFY_PATH, self::CLIENT_ID, self::SECRET);
    }

    public function testVerifiesAndParses(): void
    {
        $n = Notification::verify(self::headers(self::BODY, self::NOTIFY_PATH), self::BODY, self::NOTIFY_PATH, self::CLIENT_ID, self::SECRET);
        $this->assertSame('notify-1', $n['request_id']);
        $this->assertSame(self::CLIENT_ID, $n['client_id']);
        $this->assertSame('INV-20210124-0001', $n['invoice_number']);
        $this->assertSame('SUCCESS', $n['status']);
        $this->assertSame(150000, $n['amount']);
        $this->assertSame('8888800000000077', $n['payment_code']);
        $this->assertSame('ONLINE_TO_OFFLINE_ALFA', $n['channel_id']);
        $this->assertSame('orig-1', $n['original_request_id']);
        $this->assertSame('Toko Kué — Ü', $n['body']['customer']['name']);
    }

    /** Header names in any case, as a list of pairs, with list values, or from $_SERVER. */
    public function testHeaderShapes(): void
    {
        $h = self::headers(self::BODY, self::NOTIFY_PATH);
        $lower = array_change_key_case($h, CASE_LOWER);
        $pairs = array_map(null, array_keys($h), array_values($h));
        $lists = array_map(fn ($v) => [$v], $h);
        $server = ['REQUEST_METHOD' => 'POST', 'CONTENT_TYPE' => 'application/json'];
        foreach ($h as $k => $v) {
            $server['HTTP_' . strtoupper(str_replace('-', '_', $k))] = $v;
        }
        $fromServer = Notification::requestHeaders($server);
        $this->assertSame($h['Signature'], $fromServer['Signature']);
        $this->assertSame($h['Request-Timestamp'], $fromServer['Request-Timestamp']);
        foreach (['lower' => $lower, 'pairs' => $pairs, 'lists' => $lists, 'server' => $fromServer] as $name => $headers) {
            $n = Notification::verify($headers, self::BODY, self::NOTIFY_PATH, self::CLIENT_ID, self::SECRET);
            $this->assertSame('notify-1', $n['request_id'], $name);
        }
    }

    public function testRawBodyBytesMatter(): void
    {
        $h = self::headers(self::BODY, self::NOTIFY_PATH);
        // The same JSON value re-encoded (what json_decode + json_encode would give): rejected.
        $reencoded = json_encode(json_decode(self::BODY, true), JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
        $this->expectException(SignatureException::class);
        Notification::verify($h, $reencoded, self::NOTIFY_PATH, self::CLIENT_ID, self::SECRET);
    }

    public function testDuplicateSignatureHeaderIsRefused(): void
    {
        $h = self::headers(self::BODY, self::NOTIFY_PATH);
        $h['Signature'] = [$h['Signature'], $h['Signature']];
        try {
            Notification::verify($h, self::BODY, self::NOTIFY_PATH, self::CLIENT_ID, self::SECRET);
            $this->fail('a duplicated Signature header was accepted');
        } catch (InvalidInputException $e) {
            $this->assertStringContainsStringIgnoringCase('signature', (string) $e->field . $e->getMessage());
        }
    }

    public function testMissingHeaderNamesIt(): void
    {
        $h = self::headers(self::BODY, self::NOTIFY_PATH);
        unset($h['Request-Id']);
        try {
            Notification::verify($h, self::BODY, self::NOTIFY_PATH, self::CLIENT_ID, self::SECRET);
            $this->fail('accepted without Request-Id');
        } catch (InvalidInputException $e) {
            $this->assertStringContainsStringIgnoringCase('request-id', (string) $e->field . $e->getMessage());
        }
    }

    public function testToleranceOption(): void
    {
        $h = self::headers(self::BODY, self::NOTIFY_PATH); // a 2021 timestamp: stale, so not trusted
        $this->assertSame('notify-1', Notification::verify($h, self::BODY, self::NOTIFY_PATH, self::CLIENT_ID, self::SECRET)['request_id']);
        $this->expectException(SignatureException::class);
        $this->expectExceptionMessage('300 s');
        Notification::verify($h, self::BODY, self::NOTIFY_PATH, self::CLIENT_ID, self::SECRET, ['tolerance_secs' => 300]);
    }

    public function testInquiryVerifyAndSignedReply(): void
    {
        $h = self::headers(self::INQUIRY_BODY, self::INQUIRY_PATH, 'inq-1');
        try {
            Inquiry::verify($h, self::INQUIRY_BODY, self::NOTIFY_PATH, self::CLIENT_ID, self::SECRET);
            $this->fail('an inquiry verified under another path');
        } catch (SignatureException) {
        }
        $inquiry = Inquiry::verify($h, self::INQUIRY_BODY, self::INQUIRY_PATH, self::CLIENT_ID, self::SECRET);
        $this->assertSame('8888800000000077', $inquiry['payment_code']);
        $this->assertSame('inq-1', $inquiry['request_id']);

        $reply = Inquiry::reply($inquiry, ['invoice_number' => 'INV-77', 'amount' => 150000, 'status' => 'success'], self::INQUIRY_PATH, self::SECRET);
        $headers = $reply['headers'];
        $this->assertSame(self::CLIENT_ID, $headers['Client-Id']);
        $this->assertSame('inq-1', $headers['Request-Id']);
        $this->assertSame('application/json', $headers['Content-Type']);
        $body = json_decode($reply['body'], true);
        $this->assertSame('INV-77', $body['order']['invoice_number']);
        $this->assertSame(150000, $body['order']['amount']);
        $this->assertSame('8888800000000077', $body['online_to_offline_info']['payment_code']);
        $this->assertTrue(Signature::verifyResponse($headers['Client-Id'], $headers['Request-Id'], $headers['Response-Timestamp'],
            self::INQUIRY_PATH, $reply['body'], self::SECRET, $headers['Signature']));
        $this->assertFalse(Signature::verify($headers['Client-Id'], $headers['Request-Id'], $headers['Response-Timestamp'],
            self::INQUIRY_PATH, $reply['body'], self::SECRET, $headers['Signature']));

        // The raw JSON string form of the inquiry gives the same reply body.
        $again = Inquiry::reply(json_encode($inquiry), ['invoice_number' => 'INV-77', 'amount' => 150000, 'status' => 'success'], self::INQUIRY_PATH, self::SECRET);
        $this->assertSame($reply['body'], $again['body']);

        try {
            Inquiry::reply($inquiry, ['invoice_number' => 'INV-77'], self::INQUIRY_PATH, self::SECRET);
            $this->fail('a reply without amount');
        } catch (InvalidInputException $e) {
            $this->assertSame('answer.amount', $e->field);
        }
    }
}
