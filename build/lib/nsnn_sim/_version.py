# written by setuptools-scm at build time; do not edit
__version__ = '0.1.1.dev59+g5bc93655a.d20261201'
__commit__ = 'g5bc93655a04d3825d9d9beb299c4db1a06025592'
__dirty__ = True
