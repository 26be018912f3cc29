<?php

declare(strict_types=1);

namespace Doku\Direct\Exception;

/**
 * A bug inside libdoku was caught at the C boundary; no state was changed. Please report it.
 */
class PanicException extends DokuException
{
    public const KIND = 'panic';
}
