package io.courier.bench;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ComparisonReportTest {

    private static Histogram latencies(long... nanos) {
        Histogram h = new Histogram(60_000_000_000L, 3);
        for (long n : nanos) {
            h.recordValue(n);
        }
        return h;
    }

    @Test
    void aMeasurementSurvivesItsResultsLineWithItsDistribution() {
        Measurement m = new Measurement("nats", "request/reply 128 B at 1,000/s", "p50", 412.5, "us", Measurement.Better.LOWER,
                "10,000 requests, 0 failed", latencies(400_000, 410_000, 900_000));
        Measurement back = Measurement.parse(m.toLine());
        assertThat(back.row()).isEqualTo(m.row());
        assertThat(back.value()).isEqualTo(412.5);
        assertThat(back.detail()).isEqualTo(m.detail());
        assertThat(back.distribution().getTotalCount()).isEqualTo(3);
        assertThat(back.distribution().getMaxValue()).isEqualTo(m.distribution().getMaxValue());
    }

    @Test
    void ratiosDivideCouriersFigureByEachPeersAndMissingFiguresShowAsDashes() {
        ComparisonReport report = new ComparisonReport(List.of(
                new Measurement("courier", "1->1 128 B", "delivered", 900_000, "msgs/s", Measurement.Better.HIGHER, "", null),
                new Measurement("nats", "1->1 128 B", "delivered", 600_000, "msgs/s", Measurement.Better.HIGHER, "", null),
                new Measurement("mosquitto", "1->1 128 B", "delivered", 100_000, "msgs/s", Measurement.Better.HIGHER, "", null),
                new Measurement("courier", "idle", "RSS", 150, "MB", Measurement.Better.LOWER, "", null),
                new Measurement("courier", "ping-pong", "p50", 300, "us", Measurement.Better.LOWER, "", latencies(300_000)),
                new Measurement("nats", "ping-pong", "p50", 200, "us", Measurement.Better.LOWER, "", latencies(200_000))));

        assertThat(report.markdown()).contains("| 1->1 128 B: delivered (msgs/s) | 900,000 | 600,000 | 100,000 | 1.50 | 9.00 |")
                .contains("| idle: RSS (MB) | 150 | - | - | - | - |")
                .contains("| ping-pong: p50 (us) | 300 | 200 | - | 1.50 | - |");
        String html = report.html("t", "machine");
        assertThat(html).startsWith("<!DOCTYPE html>").contains("<svg").contains("polyline").contains("1-&gt;1 128 B");
        assertThat(report.text()).contains("1->1 128 B: delivered (msgs/s)");
    }

    @Test
    void countsShowNoRatioSoNoLossReadsAsAScore() {
        ComparisonReport report = new ComparisonReport(List.of(
                new Measurement("courier", "1->1 16 B", "missing", 0, "msgs", Measurement.Better.NONE, "", null),
                new Measurement("mosquitto", "1->1 16 B", "missing", 861_069, "msgs", Measurement.Better.NONE, "",
                        null),
                new Measurement("courier", "1->1 16 B", "published", 1_000_000, "msgs", Measurement.Better.NONE, "",
                        null),
                new Measurement("mosquitto", "1->1 16 B", "published", 1_000_000, "msgs", Measurement.Better.NONE,
                        "", null)));

        assertThat(report.markdown())
                .contains("| 1->1 16 B: missing (msgs) | 0 | - | 861,069 | - | - |")
                .contains("| 1->1 16 B: published (msgs) | 1,000,000 | - | 1,000,000 | - | - |")
                .doesNotContain("0.00");
        assertThat(report.html("t", "")).doesNotContain("1->1 16 B: missing (msgs)</text>");
    }

    @Test
    void aCountSurvivesItsResultsLineAndOldFilesStillParse() {
        Measurement m = new Measurement("nats", "1->1 128 B", "missing", 12, "msgs", Measurement.Better.NONE,
                "published but not delivered", null);
        assertThat(Measurement.parse(m.toLine()).better()).isEqualTo(Measurement.Better.NONE);
        assertThat(Measurement.parse("nats\t1->1 128 B\tdelivered\t1.000\tmsgs/s\thigher\t-\t-").better())
                .isEqualTo(Measurement.Better.HIGHER);
    }
}
