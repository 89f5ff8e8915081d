package dev.herd.recipes.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.datasets.RunRow;
import dev.herd.datasets.Store;
import dev.herd.datasets.Tables;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code herd report --out report.html}: one self-contained page (Chart.js inlined from its WebJar, no network
 * needed to view it) with per-round evaluation scores and their 95% CI bands, the reward distribution of all
 * sampled responses against the kept ones, data volumes per round and the stages' held-out metrics.
 */
public final class HtmlReport {

    static final String CHART_JS = "META-INF/resources/webjars/chart.js/4.4.1/dist/chart.umd.js";

    private HtmlReport() {}

    public static void write(Store store, Path out) {
        String page = render(store);
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
        try {
            Files.writeString(tmp, page, StandardCharsets.UTF_8);
            Files.move(tmp, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String render(Store store) {
        RoundTable table = RoundTable.read(store);
        ObjectNode data = Ledger.JSON.createObjectNode();
        data.set("report", table.toJson());
        data.set("volumes", volumes(store));
        data.set("rewards", rewards(store));
        ObjectNode stages = data.putObject("stages");
        table.stageMetrics().forEach((round, m) -> {
            ObjectNode o = stages.putObject(String.valueOf(round));
            m.forEach(o::set);
        });
        String[] recipe = Ledger.meta(store);
        String title = "Herd report" + (recipe == null ? "" : " — " + recipe[0]);
        java.io.ByteArrayOutputStream text = new java.io.ByteArrayOutputStream();
        table.print(new java.io.PrintStream(text, true, StandardCharsets.UTF_8));
        return TEMPLATE.replace("{{title}}", escape(title))
                .replace("{{table}}", escape(text.toString(StandardCharsets.UTF_8)))
                .replace("{{chartjs}}", chartJs())
                .replace("{{data}}", data.toString().replace("</", "<\\/"));
    }

    /** Rows per round: samples drawn, SFT rows kept and removed by curation, preference pairs. */
    private static ArrayNode volumes(Store store) {
        ArrayNode out = Ledger.JSON.createArrayNode();
        Tables t = new Tables(store);
        for (List<Object> r : t.rows("""
                SELECT r.round,
                  (SELECT count(*) FROM samples s WHERE s.round = r.round),
                  (SELECT count(*) FROM sft f WHERE f.round = r.round AND f.removed_by IS NULL),
                  (SELECT count(*) FROM sft f WHERE f.round = r.round AND f.removed_by IS NOT NULL),
                  (SELECT count(*) FROM preferences p WHERE p.round = r.round AND p.removed_by IS NULL)
                FROM (SELECT DISTINCT round FROM rounds WHERE round > 0) r ORDER BY r.round""")) {
            out.addObject().put("round", ((Number) r.get(0)).intValue()).put("samples", ((Number) r.get(1)).longValue())
                    .put("kept", ((Number) r.get(2)).longValue()).put("removed", ((Number) r.get(3)).longValue())
                    .put("pairs", ((Number) r.get(4)).longValue());
        }
        return out;
    }

    /**
     * Per round, the scores (from the scorer that round sampled with) of every sample and of the samples kept as
     * SFT data after curation.
     */
    private static ObjectNode rewards(Store store) {
        ObjectNode out = Ledger.JSON.createObjectNode();
        Tables t = new Tables(store);
        Map<Integer, String> scorers = new TreeMap<>();
        for (RunRow r : t.runs("status = 'done' AND stage = 'sample'")) {
            for (JsonNode arg : parse(r.config())) {
                if (arg.asText().startsWith("--reward=") && !scorers.containsKey(r.round())) {
                    scorers.put(r.round(), arg.asText().substring("--reward=".length()));
                }
            }
        }
        scorers.forEach((round, scorer) -> {
            String q = scorer.replace("'", "''");
            ObjectNode o = out.putObject(String.valueOf(round));
            o.put("scorer", scorer);
            ArrayNode all = o.putArray("sampled");
            t.rows("SELECT v.value FROM scores v JOIN samples s ON s.id = v.sample_id WHERE s.round = " + round
                    + " AND v.scorer = '" + q + "'").forEach(r -> all.add(((Number) r.get(0)).doubleValue()));
            ArrayNode kept = o.putArray("kept");
            t.rows("SELECT v.value FROM scores v JOIN sft f ON f.sample_id = v.sample_id WHERE f.round = " + round
                    + " AND f.removed_by IS NULL AND v.scorer = '" + q + "'").forEach(r -> kept.add(((Number) r.get(0)).doubleValue()));
        });
        return out;
    }

    private static JsonNode parse(String json) {
        try {
            return json == null ? Ledger.JSON.createArrayNode() : Ledger.JSON.readTree(json);
        } catch (IOException e) {
            return Ledger.JSON.createArrayNode();
        }
    }

    private static String chartJs() {
        try (InputStream in = HtmlReport.class.getClassLoader().getResourceAsStream(CHART_JS)) {
            if (in == null) {
                throw new IllegalStateException("Chart.js is missing from the class path (" + CHART_JS + ")");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("</script", "<\\/script");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    private static final String TEMPLATE = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>{{title}}</title>
            <style>
            body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
            .grid{display:grid;grid-template-columns:1fr 1fr;gap:2em} pre{background:#f6f6f6;padding:1em;overflow:auto;font-size:12px}
            h2{font-size:1.1em;margin-top:2em}
            </style>
            <script>{{chartjs}}</script></head><body>
            <h1>{{title}}</h1>
            <pre>{{table}}</pre>
            <div class="grid">
            <div><h2>Test-split score per round (95% CI bands; candidates chosen on dev)</h2><canvas id="scores"></canvas></div>
            <div><h2>What each mechanism did per round</h2><canvas id="mechanisms"></canvas></div>
            <div><h2>Stage metrics on held-out data</h2><canvas id="stages"></canvas></div>
            <div><h2>Rewards: all samples vs kept (pooled over rounds)</h2><canvas id="hist"></canvas></div>
            <div><h2>Mean reward per round: sampled vs kept</h2><canvas id="means"></canvas></div>
            <div><h2>Data volumes per round</h2><canvas id="volumes"></canvas></div>
            </div>
            <script>
            const D = {{data}};
            const split = D.report.rounds.some(r => r.split === 'test') ? 'test' : 'all';
            const rows = D.report.rounds.filter(r => r.split === split);
            const task = rows.length ? rows[0].task : null;
            const rounds = [...new Set(rows.map(r => r.round))].sort((a, b) => a - b);
            const colors = {sft: '#1f77b4', dpo: '#d62728', start: '#2ca02c', teacher: '#9467bd'};
            const ds = [];
            const stagesSeen = [...new Set(rows.filter(r => r.task === task).map(r => r.stage))];
            for (const st of stagesSeen) {
              const pick = rounds.map(r => rows.find(x => x.round === r && x.stage === st && x.task === task) || null);
              const c = colors[st] || '#555';
              ds.push({label: st + ' ' + (pick.find(p => p) || {}).metric, data: pick.map(p => p ? p.score : null), borderColor: c,
                       backgroundColor: c, spanGaps: true, tension: 0});
              ds.push({label: st + ' CI low', data: pick.map(p => p ? p.ci95[0] : null), borderColor: 'transparent', pointRadius: 0,
                       spanGaps: true, fill: false});
              ds.push({label: st + ' CI high', data: pick.map(p => p ? p.ci95[1] : null), borderColor: 'transparent', pointRadius: 0,
                       spanGaps: true, backgroundColor: c + '33', fill: '-1'});
            }
            const noBand = {labels: {filter: i => !i.text.includes(' CI ')}};
            new Chart(document.getElementById('scores'), {type: 'line', data: {labels: rounds.map(r => 'round ' + r), datasets: ds},
              options: {plugins: {legend: noBand, title: {display: true, text: task || ''}}, scales: {y: {min: 0}}}});
            const M = D.report.mechanisms, ml = M.map(x => 'round ' + x.round), mv = k => M.map(x => x[k] === undefined ? null : x[k]);
            new Chart(document.getElementById('mechanisms'), {data: {labels: ml, datasets: [
              {type: 'bar', label: 'verified RS rows trained on', data: mv('rs_rows'), backgroundColor: '#2ca02c55', yAxisID: 'rows'},
              {type: 'line', label: 'sampling policy pass@1', data: mv('pass@1'), borderColor: '#1f77b4', spanGaps: true},
              {type: 'line', label: 'sampling policy pass@K', data: mv('pass@k'), borderColor: '#17becf', borderDash: [6, 3], spanGaps: true},
              {type: 'line', label: 'RM held-out pairwise accuracy', data: mv('rm_pairwise_accuracy'), borderColor: '#ff7f0e', spanGaps: true},
              {type: 'line', label: 'SFT candidate (test)', data: mv('sft_test'), borderColor: '#9467bd', spanGaps: true},
              {type: 'line', label: 'DPO candidate (test)', data: mv('dpo_test'), borderColor: '#d62728', spanGaps: true}]},
              options: {scales: {y: {min: 0, max: 1, title: {display: true, text: 'rate / accuracy'}},
                                 rows: {position: 'right', min: 0, title: {display: true, text: 'rows'}, grid: {drawOnChartArea: false}}}}});
            const sr = Object.keys(D.stages).map(Number).sort((a, b) => a - b);
            const metric = (st, k) => sr.map(r => (D.stages[r] && D.stages[r][st] && D.stages[r][st][k] !== undefined) ? D.stages[r][st][k] : null);
            new Chart(document.getElementById('stages'), {type: 'line', data: {labels: sr.map(r => 'round ' + r), datasets: [
              {label: 'RM pairwise accuracy', data: metric('rm', 'eval_pairwise_accuracy'), borderColor: '#ff7f0e', spanGaps: true},
              {label: 'DPO reward accuracy', data: metric('dpo', 'eval_reward_accuracy'), borderColor: '#d62728', spanGaps: true},
              {label: 'SFT held-out loss', data: metric('sft', 'eval_loss'), borderColor: '#1f77b4', yAxisID: 'loss', spanGaps: true}]},
              options: {scales: {y: {min: 0, max: 1, title: {display: true, text: 'accuracy'}},
                                 loss: {position: 'right', min: 0, title: {display: true, text: 'loss'}}}}});
            const rr = Object.keys(D.rewards).map(Number).sort((a, b) => a - b);
            const all = rr.flatMap(r => D.rewards[r].sampled), kept = rr.flatMap(r => D.rewards[r].kept);
            const lo = Math.min(...all, ...kept, 0), hi = Math.max(...all, ...kept, 1), bins = 20, w = (hi - lo) / bins || 1;
            const hist = v => { const h = new Array(bins).fill(0); v.forEach(x => h[Math.min(bins - 1, Math.floor((x - lo) / w))]++);
                                return h.map(c => v.length ? c / v.length : 0); };
            new Chart(document.getElementById('hist'), {type: 'bar', data: {
              labels: [...Array(bins).keys()].map(i => (lo + (i + 0.5) * w).toFixed(2)),
              datasets: [{label: 'sampled (' + all.length + ')', data: hist(all), backgroundColor: '#7f7f7f88'},
                         {label: 'kept (' + kept.length + ')', data: hist(kept), backgroundColor: '#2ca02c88'}]},
              options: {scales: {y: {title: {display: true, text: 'share'}}, x: {title: {display: true, text: 'reward'}}}}});
            const mean = v => v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
            new Chart(document.getElementById('means'), {type: 'line', data: {labels: rr.map(r => 'round ' + r), datasets: [
              {label: 'all samples', data: rr.map(r => mean(D.rewards[r].sampled)), borderColor: '#7f7f7f'},
              {label: 'kept', data: rr.map(r => mean(D.rewards[r].kept)), borderColor: '#2ca02c'}]}});
            const v = D.volumes;
            new Chart(document.getElementById('volumes'), {type: 'bar', data: {labels: v.map(x => 'round ' + x.round), datasets: [
              {label: 'samples', data: v.map(x => x.samples), backgroundColor: '#7f7f7f'},
              {label: 'SFT kept', data: v.map(x => x.kept), backgroundColor: '#2ca02c'},
              {label: 'SFT removed by curation', data: v.map(x => x.removed), backgroundColor: '#d62728'},
              {label: 'preference pairs', data: v.map(x => x.pairs), backgroundColor: '#1f77b4'}]}});
            </script></body></html>
            """;
}
