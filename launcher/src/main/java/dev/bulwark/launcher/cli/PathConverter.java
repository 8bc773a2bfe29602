package dev.bulwark.launcher.cli;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import picocli.CommandLine;

/** File options ({@code --bundle}, {@code --root}, {@code --config}, {@code --output}): a refusal in words, not the Java exception. */
final class PathConverter implements CommandLine.ITypeConverter<Path> {
    @Override
    public Path convert(String value) {
        try {
            return Path.of(value);
        } catch (InvalidPathException e) {
            throw new CommandLine.TypeConversionException("not a usable file name (" + e.getReason() + ")");
        }
    }
}
