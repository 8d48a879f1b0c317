package io.beamsuite.bundled;

import io.beamsuite.pipelines.launcher.PipelineDefinition;
import java.lang.reflect.Method;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** What the tests that build every command of the catalog need to know about a command. */
final class PipelineCommands {
  private PipelineCommands() {}

  /**
   * The String options named {@code source} or {@code <something>Source} of the command (fraud's
   * {@code customersSource}, ...): each is a file glob for a batch run and {@code kafka} for a
   * streaming one. Every pipeline command has at least {@code source}.
   */
  static List<String> sourceOptions(PipelineDefinition<?> command) {
    Set<String> names = new TreeSet<>();
    for (Method getter : command.optionsClass().getMethods()) {
      String name = getter.getName();
      if (getter.getParameterCount() == 0
          && getter.getReturnType() == String.class
          && name.startsWith("get")
          && name.endsWith("Source")) {
        names.add(Character.toLowerCase(name.charAt(3)) + name.substring(4));
      }
    }
    if (!names.contains("source")) {
      throw new AssertionError(command.name() + " has no --source option: " + names);
    }
    return List.copyOf(names);
  }
}
