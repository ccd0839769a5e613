"""The order of the gallery's examples (a module, so that Sphinx can pickle the setting)."""

#: the examples in reading order; any other file goes after them, by name
EXAMPLE_ORDER = (
    "plot_textbook_walkthrough.py",
    "plot_trained_mixture.py",
    "plot_covariance_types.py",
    "plot_bic_faithful.py",
    "plot_anomalies.py",
    "plot_pairs.py",
    "plot_bayesian_concentration.py",
    "plot_missing_values.py",
    "plot_hierarchical_start.py",
)


class ExampleOrder:
    """sphinx-gallery's ``within_subsection_order``: called with a file name, gives its sort key."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        known = filename in EXAMPLE_ORDER
        return (EXAMPLE_ORDER.index(filename) if known else len(EXAMPLE_ORDER), filename)

    def __repr__(self):
        return "ExampleOrder"
