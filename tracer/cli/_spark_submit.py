"""The application file for ``spark-submit``: the tracer CLI, by absolute import (a file
spark-submit runs is a script, where the package's relative imports do not work).

    spark-submit --master spark://host:7077 .../tracer/cli/_spark_submit.py resolve IN.csv \
        --out OUT.csv --engine spark --spark-master spark://host:7077
"""

if __name__ == "__main__":
    from tracer.cli import main
    main()
