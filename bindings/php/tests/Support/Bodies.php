<?php

declare(strict_types=1);

namespace Doku\Direct\Tests\Support;

/** Valid request bodies per channel (the seeds' samples), with a fresh invoice number. */
final class Bodies
{
    private static int $n = 0;

    public static function invoice(string $prefix = 'INV-PHP'): string
    {
        return sprintf('%s-%d-%d-%d', $prefix, getmypid(), hrtime(true) % 1_000_000_000, ++self::$n);
    }

    public static function alfa(string $invoice): array
    {
        return [
            'order' => ['invoice_number' => $invoice, 'amount' => 150000],
            'online_to_offline_info' => ['expired_time' => 60, 'reusable_status' => false, 'info' => 'Thank you for shopping'],
            'customer' => ['name' => 'Taufik Ismail', 'email' => 'taufik@example.com'],
            'alfa_info' => ['receipt' => ['footer_message' => 'Call Center 021 555-0525']],
        ];
    }

    public static function indomaret(string $invoice): array
    {
        return [
            'order' => ['invoice_number' => $invoice, 'amount' => 150000],
            'online_to_offline_info' => ['expired_time' => 60, 'reusable_status' => false, 'info' => 'Thanks for shopping in jokul.com'],
            'customer' => ['name' => 'Taufik Ismail', 'email' => 'taufik@doku.com'],
            'indomaret_info' => ['receipt' => ['description' => 'Voucher 10000', 'footer_message' => 'Call 13555 for customer support']],
        ];
    }

    public static function indodana(string $invoice): array
    {
        $address = [
            'first_name' => 'andreas', 'last_name' => 'dharmawan',
            'address' => 'Jalan Teknologi Indonesia No. 25', 'city' => 'Jakarta',
            'postal_code' => '12960', 'phone' => '081513114262', 'country_code' => 'IDN',
        ];
        return [
            'order' => [
                'invoice_number' => $invoice,
                'line_items' => [[
                    'name' => 'Ayam', 'price' => 50000, 'quantity' => 2, 'id' => '1002', 'category' => 'ELECTRONIC',
                    'url' => 'https://merchant.com/product_1002', 'image_url' => 'https://merchant.com/product_1002/image',
                    'type' => 'handphone',
                ]],
                'amount' => 100000,
                'callback_url' => 'https://merchant.com/return-url',
                'callback_url_cancel' => 'https://merchant.com/cancel-url',
            ],
            'peer_to_peer_info' => ['expired_time' => 60, 'merchant_unique_reference' => "MUR-{$invoice}"],
            'customer' => ['first_name' => 'andreas', 'last_name' => 'dharmawan', 'phone' => '081939815480', 'email' => 'andreas@email.com'],
            'billing_address' => $address,
            'shipping_address' => $address,
        ];
    }
}
