"""Small float64 work arrays on the stack of a compiled function, for state the compiler can keep in registers.

An array handed to a kernel lives in memory the compiler cannot prove private, so a value stored in it is
written out and read back at every step. An array from :func:`stack_array` is private to the function that
makes it: when its size is a literal and every index becomes a constant (loops over ``range(size)`` unroll),
the compiler keeps its elements in registers.
"""

from __future__ import annotations

from numba.core import cgutils, types
from numba.extending import intrinsic

__all__ = ["stack_array"]


@intrinsic
def stack_array(typingctx, size):
    """``stack_array(n)``: an uninitialised 1-D float64 array of ``n`` elements (a literal integer) on the stack
    of the calling compiled function. It must not outlive that call (never return or store it)."""
    if not isinstance(size, types.IntegerLiteral):
        return None
    length = size.literal_value
    array_type = types.Array(types.float64, 1, "C")

    def codegen(context, builder, signature, args):
        array = context.make_array(array_type)(context, builder)
        data = cgutils.alloca_once(builder, context.get_data_type(types.float64), size=length)
        itemsize = context.get_constant(types.intp, 8)
        context.populate_array(array, data=data, shape=[context.get_constant(types.intp, length)],
                               strides=[itemsize], itemsize=itemsize, meminfo=None)
        return array._getvalue()

    return array_type(size), codegen
