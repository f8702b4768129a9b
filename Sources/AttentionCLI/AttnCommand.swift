import ArgumentParser
import AttentionEngine

/// `attn`: train, run and inspect libattention models from the terminal.
@main
struct AttnCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attn",
        abstract: "Train, run and inspect small neural networks with libattention (try: attn tour).",
        subcommands: [TourCommand.self, TrainCommand.self, GenerateCommand.self, ChatCommand.self, AttendCommand.self, BenchCommand.self]
            + [EmbedCommand.self]
            + [SearchCommand.self]
    )
}
