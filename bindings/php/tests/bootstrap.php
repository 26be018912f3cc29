<?php

/**
 * PHPUnit bootstrap: the package's autoloader, the test support classes, and defaults for
 * the environment `make php-test` sets (so `phpunit -c bindings/php/phpunit.xml` also works
 * after `make lib` and `cargo build`):
 *   DOKU_LIBRARY  libdoku.so to test (default: target/clib/dist/libdoku.so)
 *   DOKU_BIN      the `doku` CLI whose `doku sandbox` the tests start (default: target/debug/doku)
 *   DOKU_VECTORS  the signature vectors (default: tests/data/vectors.json)
 */

declare(strict_types=1);

require dirname(__DIR__) . '/autoload.php';

spl_autoload_register(static function (string $class): void {
    $prefix = 'Doku\\Direct\\Tests\\';
    if (strncmp($class, $prefix, strlen($prefix)) === 0) {
        $file = __DIR__ . '/' . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
        if (is_file($file)) {
            require $file;
        }
    }
});

$repo = dirname(__DIR__, 3);
$defaults = [
    'DOKU_LIBRARY' => $repo . '/target/clib/dist/libdoku.so',
    'DOKU_BIN' => $repo . '/target/debug/doku',
    'DOKU_VECTORS' => $repo . '/tests/data/vectors.json',
];
foreach ($defaults as $name => $value) {
    if (getenv($name) === false || getenv($name) === '') {
        putenv("{$name}={$value}");
    }
}
$hints = [
    'DOKU_LIBRARY' => 'make lib',
    'DOKU_BIN' => 'cargo build --bin doku',
    'DOKU_VECTORS' => 'the repository ships tests/data/vectors.json',
];
// Debian's PSR-7 packages (scripts/install-deps.sh installs them), for the tests of
// Notification::fromRequest: each ships its own autoloader under /usr/share/php.
$psr7 = getenv('DOKU_PSR7_AUTOLOAD') ?: '/usr/share/php/Nyholm/Psr7/autoload.php';
if (!is_file($psr7)) {
    fwrite(STDERR, "php-test: {$psr7} does not exist (apt-get install php-nyholm-psr7 php-psr-http-message, or scripts/install-deps.sh apt)\n");
    exit(1);
}
require_once $psr7;
foreach ($hints as $name => $hint) {
    if (!is_file((string) getenv($name))) {
        fwrite(STDERR, "php-test: {$name}=" . getenv($name) . " does not exist ({$hint})\n");
        exit(1);
    }
}
