<?php

declare(strict_types=1);

namespace Doku\Direct\Exception;

use Doku\Direct\Status;

/**
 * A signature does not verify (a notification or inquiry, or DOKU's response signature):
 * do not trust the body. A receiver answers 401.
 */
class SignatureException extends DokuException
{
    public const KIND = 'signature_mismatch';
    /** The C status (`getCode()`) when none is given: `Status::ERR_SIGNATURE_MISMATCH`. */
    public const STATUS = Status::ERR_SIGNATURE_MISMATCH;
}
