<?php

declare(strict_types=1);

namespace Doku\Direct\Exception;

/**
 * Marks every exception this package throws: `catch (DokuExceptionInterface $e)` catches
 * them all, whatever their class hierarchy, as PSR libraries' marker interfaces do. Today
 * every one is a {@see DokuException} (a `\RuntimeException`), which implements this.
 */
interface DokuExceptionInterface extends \Throwable
{
    /** libdoku's error kind (`invalid_input`, `validation`, `signature_mismatch`, ...). */
    public function getKind(): string;

    /** The argument, header or JSON path at fault, or null. */
    public function getField(): ?string;
}
