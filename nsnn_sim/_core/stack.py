"""Small work arrays (float64, or uint64 words) on the stack of a compiled function, for state the compiler
can keep in registers.

An array handed to a kernel lives in memory the compiler cannot prove private, so a value stored in it is
written out and read back at every step. An array from :func:`stack_array` is private to the function that
makes it: when its size is a literal and every index becomes a constant (loops over ``range(size)`` unroll),
the compiler keeps its elements in registers.
"""

from __future__ import annotations

from numba.core import cgutils, types
from numba.extending import intrinsic

__all__ = ["stack_array", "stack_words"]


def _stack_array(dtype, size):
    """The typing and code of a 1-D ``dtype`` array of ``size`` (an integer literal) elements on the stack."""
    if not isinstance(size, types.IntegerLiteral):
        return None
    length = size.literal_value
    array_type = types.Array(dtype, 1, "C")

    def codegen(context, builder, signature, args):
        array = context.make_array(array_type)(context, builder)
        data = cgutils.alloca_once(builder, context.get_data_type(dtype), size=length)
        itemsize = context.get_constant(types.intp, context.get_abi_sizeof(context.get_data_type(dtype)))
        context.populate_array(array, data=data, shape=[context.get_constant(types.intp, length)],
                               strides=[itemsize], itemsize=itemsize, meminfo=None)
        return array._getvalue()

    return array_type(size), codegen


@intrinsic
def stack_array(typingctx, size):
    """``stack_array(n)``: an uninitialised 1-D float64 array of ``n`` elements (a literal integer) on the stack
    of the calling compiled function. It must not outlive that call (never return or store it)."""
    return _stack_array(types.float64, size)


@intrinsic
def stack_words(typingctx, size):
    """``stack_words(n)``: the same, of ``n`` uint64 words (random bits drawn ahead)."""
    return _stack_array(types.uint64, size)
