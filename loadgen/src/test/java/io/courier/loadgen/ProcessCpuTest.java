package io.courier.loadgen;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import static org.assertj.core.api.Assertions.assertThat;

class ProcessCpuTest {

    @Test
    void addsUserAndSystemTicksCountingFieldsFromTheLastParenthesis() {
        // A command name may hold spaces and parentheses: "(java) (x)" must not shift the fields.
        String stat = "4242 ((java) (x)) S 1 4242 4242 0 -1 4194304 5000 0 0 0 250 50 0 0 20 0 30 0 1000 0 0";

        assertThat(ProcessCpu.parseStat(stat)).isEqualTo(300 * 10_000_000L);
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void readsThisProcessFromProcAndFromTheJvm() {
        long fromProc = ProcessCpu.nanos(ProcessHandle.current().pid());
        long fromJvm = ProcessCpu.selfNanos();

        assertThat(fromProc).isPositive();
        assertThat(fromJvm).isPositive();
        assertThat(ProcessCpu.nanos(0)).isEqualTo(-1);
    }
}
