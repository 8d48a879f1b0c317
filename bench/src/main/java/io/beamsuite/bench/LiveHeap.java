package io.beamsuite.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The live heap of this JVM, per class and in total, measured after a full GC: the memory sections
 * compare what a step keeps alive, not what it happens to have allocated.
 */
final class LiveHeap {
  private static final java.util.regex.Pattern HISTOGRAM_LINE =
      java.util.regex.Pattern.compile("^\\s*\\d+:\\s+(\\d+)\\s+(\\d+)\\s+(\\S+).*$");

  private LiveHeap() {}

  /**
   * Live bytes per class: {@code GC.class_histogram} of this JVM (a full GC first), through the
   * {@code DiagnosticCommand} MBean, as {@code jcmd <pid> GC.class_histogram} prints it.
   */
  static Map<String, Long> liveBytesPerClass() {
    try {
      String text =
          (String)
              ManagementFactory.getPlatformMBeanServer()
                  .invoke(
                      new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand"),
                      "gcClassHistogram",
                      new Object[] {new String[0]},
                      new String[] {String[].class.getName()});
      Map<String, Long> bytes = new HashMap<>();
      for (String line : text.split("\n")) {
        java.util.regex.Matcher m = HISTOGRAM_LINE.matcher(line);
        if (m.matches()) {
          bytes.merge(m.group(3), Long.parseLong(m.group(2)), Long::sum);
        }
      }
      return bytes;
    } catch (javax.management.JMException e) {
      throw new IllegalStateException("GC.class_histogram failed", e);
    }
  }

  /**
   * Lets the previous job's MiniCluster finish its asynchronous shutdown: waits until the live heap
   * after a full GC stops shrinking (within 1 MiB over 2 s, at most 60 s).
   */
  static void settle() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    long previous = usedHeapAfterGc();
    while (System.nanoTime() < deadline) {
      Thread.sleep(2_000);
      long now = usedHeapAfterGc();
      if (previous - now < (1 << 20)) {
        return;
      }
      previous = now;
    }
  }

  /**
   * Live heap right after a full GC: the heap pools' usage as the collector left it ({@link
   * MemoryPoolMXBean#getCollectionUsage}), so allocations by other threads (the source keeps
   * reading while the sink measures) after the GC do not count.
   */
  static long usedHeapAfterGc() {
    System.gc();
    long used = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP && pool.getCollectionUsage() != null) {
        used += pool.getCollectionUsage().getUsed();
      }
    }
    return used;
  }
}
