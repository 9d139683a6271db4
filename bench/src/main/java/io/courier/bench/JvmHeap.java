package io.courier.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads another JVM's heap with the JDK's jcmd, the way an operator would. */
final class JvmHeap {

    /** "garbage-first heap   total 262144K, used 45678K [...]" and the like for the other collectors. */
    private static final Pattern USED = Pattern.compile("total \\d+K, used (\\d+)K");

    private JvmHeap() {
    }

    /** Heap in use after a full collection, i.e. what is really held; -1 when jcmd cannot tell. */
    static long liveBytes(long pid) {
        if (pid <= 0) {
            return -1;
        }
        try {
            jcmd(pid, "GC.run");
            Matcher m = USED.matcher(jcmd(pid, "GC.heap_info"));
            return m.find() ? Long.parseLong(m.group(1)) * 1024 : -1;
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static String jcmd(long pid, String command) throws IOException, InterruptedException {
        String jcmd = System.getProperty("java.home") + "/bin/jcmd";
        Process p = new ProcessBuilder(jcmd, Long.toString(pid), command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("jcmd " + command + " did not finish");
        }
        return new String(out, StandardCharsets.UTF_8);
    }
}
