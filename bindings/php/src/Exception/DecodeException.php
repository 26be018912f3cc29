<?php

declare(strict_types=1);

namespace Doku\Direct\Exception;

/**
 * DOKU's answer (or libdoku's output) could not be read.
 */
class DecodeException extends DokuException
{
    public const KIND = 'decode';
}
