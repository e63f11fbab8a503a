mkdir -p ~/analysis && cd ~/analysis
cat > data.csv <<'EOF'
day,visitors
mon,120
tue,135
wed,128
thu,150
fri,171
EOF
cat > analysis.py <<'EOF'
import csv
import statistics

with open("/app/data.csv") as f:
    visitors = [int(row["visitors"]) for row in csv.DictReader(f)]

print(f"days: {len(visitors)}")
print(f"mean: {statistics.mean(visitors):.1f}")
print(f"stdev: {statistics.stdev(visitors):.1f}")
EOF
echo "FROM $(cat ~/base.txt)" > Dockerfile
cat >> Dockerfile <<'EOF'
WORKDIR /app
COPY data.csv analysis.py ./
CMD ["python", "analysis.py"]
EOF
cat Dockerfile
docker build -t analysis:1.0 .
docker run --rm analysis:1.0
