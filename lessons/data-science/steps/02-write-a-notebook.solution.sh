# What the browser does, from the terminal: make the notebook, run its cells in a kernel of
# the container, and save it into the mounted folder.
docker exec -i -w /home/jovyan/work notebook python3 - <<'PY'
import nbclient
import nbformat
from nbformat.v4 import new_code_cell, new_notebook

notebook = new_notebook(
    cells=[
        new_code_cell(
            'import pandas as pd\n'
            'growth = pd.read_csv("growth.csv")\n'
            'growth.pivot(index="day", columns="culture", values="size")'
        ),
        new_code_cell(
            'growth.pivot(index="day", columns="culture", values="size")'
            '.plot(marker="o", ylabel="size");'
        ),
    ],
    metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
)
nbclient.NotebookClient(notebook, timeout=120).execute()
nbformat.write(notebook, "analysis.ipynb")
PY
ls -l ~/analysis
head -c 600 ~/analysis/analysis.ipynb
