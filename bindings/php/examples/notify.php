<?php

/**
 * A DOKU payment-notification receiver: verifies each notification's signature over the
 * raw body, then records it (one JSON line per request) and answers 200. A notification
 * that does not verify gets 401 and is recorded as rejected.
 *
 *     DOKU_CLIENT_ID=MCH-... DOKU_SECRET_KEY=... DOKU_NOTIFY_LOG=/tmp/notifications.jsonl \
 *       php -d ffi.enable=1 -S 127.0.0.1:8080 bindings/php/examples/notify.php
 *
 * and set the Notification URL to http://<host>:8080/payments/notifications (or start
 * `doku sandbox --merchant MCH-...:SECRET:http://127.0.0.1:8080/payments/notifications`).
 * Under php-fpm the same file works as is (see README, "PHP", for php.ini).
 *
 * Environment: DOKU_CLIENT_ID, DOKU_SECRET_KEY, DOKU_NOTIFICATION_PATH (default
 * /payments/notifications), DOKU_NOTIFY_LOG (default: doku-notifications.jsonl in the
 * temp dir), DOKU_LIBRARY (libdoku.so, if not installed).
 */

declare(strict_types=1);

use Doku\Direct\Exception\DokuException;
use Doku\Direct\Exception\SignatureException;
use Doku\Direct\Notification;

if (!class_exists(Notification::class)) { // already there when opcache.preload loaded it
    require __DIR__ . '/../autoload.php';   // with Composer: require 'vendor/autoload.php';
}

$path = getenv('DOKU_NOTIFICATION_PATH') ?: '/payments/notifications';
$log = getenv('DOKU_NOTIFY_LOG') ?: sys_get_temp_dir() . '/doku-notifications.jsonl';

/** Appends one record as a JSON line (a real shop would update the order in its database). */
$record = static function (array $entry) use ($log): void {
    $entry['received_at'] = gmdate('Y-m-d\TH:i:s\Z');
    file_put_contents($log, json_encode($entry, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE) . "\n", FILE_APPEND | LOCK_EX);
};

if (parse_url($_SERVER['REQUEST_URI'] ?? '/', PHP_URL_PATH) !== $path) {
    http_response_code(404);
    return;
}
if (($_SERVER['REQUEST_METHOD'] ?? '') !== 'POST') {
    http_response_code(405);
    header('Allow: POST');
    return;
}

// The raw bytes DOKU signed: never $_POST, never a decoded-and-re-encoded array.
$raw = (string) file_get_contents('php://input');
$headers = Notification::requestHeaders();

try {
    $n = Notification::verify($headers, $raw, $path, (string) getenv('DOKU_CLIENT_ID'), (string) getenv('DOKU_SECRET_KEY'));
} catch (SignatureException $e) {
    // Not from DOKU (or not for this path): do not trust the body.
    $record(['verified' => false, 'error' => $e->getMessage(), 'request_id' => $headers['Request-Id'] ?? null]);
    http_response_code(401);
    return;
} catch (DokuException $e) {
    $record(['verified' => false, 'error' => $e->getMessage(), 'field' => $e->field]);
    http_response_code(400);
    return;
}

// Verified. DOKU retries a notification with the same Request-Id until it gets a 2xx:
// de-duplicate on request_id before acting on it.
$record([
    'verified' => true,
    'request_id' => $n['request_id'],
    'invoice_number' => $n['invoice_number'],
    'status' => $n['status'],
    'amount' => $n['amount'],
    'channel_id' => $n['channel_id'],
]);
http_response_code(200);
header('Content-Type: application/json');
echo '{"received":true}';
