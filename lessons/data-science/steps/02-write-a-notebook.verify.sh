# Passes when ~/analysis holds a notebook with a code cell that ran and showed something.
if ! ls /root/analysis/*.ipynb >/dev/null 2>&1; then
  echo "There is no notebook in ~/analysis yet: in Jupyter, open work, then New > Python 3 (ipykernel), run a cell and save. / Il n'y a pas encore de notebook dans ~/analysis : dans Jupyter, ouvrez work, puis New > Python 3 (ipykernel), exécutez une cellule et enregistrez."
  exit 1
fi
python3 - <<'PY'
import glob
import json
import sys

for path in sorted(glob.glob("/root/analysis/*.ipynb")):
    try:
        with open(path, encoding="utf-8") as file:
            notebook = json.load(file)
    except (OSError, ValueError):
        continue
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "code" and cell.get("outputs"):
            sys.exit(0)
print(
    "The notebooks in ~/analysis have no cell that ran: run a cell (Shift+Enter), then save (Ctrl+S). "
    "/ Les notebooks de ~/analysis n'ont aucune cellule exécutée : exécutez une cellule (Maj+Entrée), puis enregistrez (Ctrl+S)."
)
sys.exit(1)
PY
