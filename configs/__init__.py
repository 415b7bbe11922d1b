"""The packaged YAML configs (data only): ``simulation/``, ``train/``, ``experiments/``, ``ehr/``.

A folder mapped to ``chestpain.configs`` so that a config given by its name (``--config default``) is found from
any directory, in a checkout and in an installed wheel alike (:func:`chestpain.kernel.config.resolve_config`).
"""
