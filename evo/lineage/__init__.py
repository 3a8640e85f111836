"""Layer 2: who descends from whom, fed by an observer of the loop; never imports evolution.

``store`` records births and inner-goal traits, ``phylogeny`` answers descent questions, ``formats``
writes and parses lineage.csv and GraphML. See docs/architecture.md."""
