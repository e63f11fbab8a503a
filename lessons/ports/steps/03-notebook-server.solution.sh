mkdir -p ~/notebooks && cd ~/notebooks
cat > data.csv <<'EOF'
city,temperature
Paris,14.2
Lyon,15.1
Lille,11.8
Nice,18.3
EOF
cat > analysis.py <<'EOF'
import csv
import statistics

with open("data.csv") as f:
    temperatures = [float(row["temperature"]) for row in csv.DictReader(f)]

with open("summary.txt", "w") as out:
    out.write(f"cities: {len(temperatures)}\n")
    out.write(f"mean temperature: {statistics.mean(temperatures):.2f}\n")
EOF
docker run -d --name notebook -p 8888:8888 -v ~/notebooks:/home/work -w /home/work python:3 python -m http.server 8888
for i in $(seq 50); do curl -fs localhost:8888/ && break; sleep 0.2; done
docker exec notebook python analysis.py
curl -s localhost:8888/summary.txt
ls ~/notebooks
